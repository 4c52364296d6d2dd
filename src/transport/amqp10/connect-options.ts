/**
 * rhea connection options for one host of an AMQP 1.0 transport_url. The heartbeat and the TLS
 * files are read from oslo's query options as the 0-9-1 transport reads them (url-options.ts).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import rhea from 'rhea';
import type { ConnectionOptions } from 'rhea';
import { hostLabel, type TransportHost, type TransportUrl } from '../transport-url.js';
import type { TransportOptions } from '../options.js';
import { heartbeatSeconds, tlsFiles, type FileReader } from '../url-options.js';

export interface ConnectPlan {
  readonly options: ConnectionOptions;
  /** host:port, for logs and status reasons (never credentials). */
  readonly label: string;
}

/** rhea reads `sasl_mechanisms` although its typings omit it. */
type RheaConnectOptions = ConnectionOptions & { sasl_mechanisms?: unknown };

/**
 * The idle timeout we announce, in ms. rhea closes the connection after twice the announced
 * value without a frame, so announcing half the threshold makes the threshold the real limit.
 */
export function idleTimeoutMs(url: TransportUrl, opts: TransportOptions): number {
  const seconds = heartbeatSeconds(url, opts);
  return seconds > 0 ? Math.round((seconds * 1000) / 2) : 0;
}

function tlsOptions(url: TransportUrl, host: TransportHost, read: FileReader): Record<string, unknown> {
  // rhea sends the host as SNI server name; for an IP address that is not allowed (RFC 6066)
  // and Node warns. An empty name sends no SNI; the certificate is still checked against the IP.
  return { transport: 'tls', ...(isIP(host.hostname) ? { servername: '' } : {}), ...tlsFiles(url.query, read) };
}

function saslOptions(host: TransportHost): Partial<RheaConnectOptions> {
  if (host.username !== undefined && host.username !== '') {
    // PLAIN; rhea falls back to ANONYMOUS-with-a-name when the password is empty.
    return { username: host.username, password: host.password ?? '' };
  }
  // Without credentials rhea would skip SASL altogether; brokers expect ANONYMOUS.
  const mechanisms = rhea.sasl.client_mechanisms();
  mechanisms.enable_anonymous('anonymous');
  return { sasl_mechanisms: mechanisms };
}

/**
 * Options for attempt number `attempt`: hosts are taken round robin (oslo's failover order).
 * rhea's own reconnect is off: the listener reconnects itself so that every attempt is
 * reported as a status change.
 */
export function connectPlan(
  url: TransportUrl,
  attempt: number,
  opts: TransportOptions,
  vimId: string,
  read: FileReader = readFileSync,
): ConnectPlan {
  const host = url.hosts[attempt % url.hosts.length];
  const idle = idleTimeoutMs(url, opts);
  const options: RheaConnectOptions = {
    host: host.hostname,
    port: host.port,
    reconnect: false,
    container_id: `vim-event-relay-${vimId}`,
    // RabbitMQ selects a non-default virtual host from the open frame's hostname "vhost:<name>".
    ...(url.vhost !== '/' ? { hostname: `vhost:${url.vhost}` } : {}),
    ...(idle > 0 ? { idle_time_out: idle } : {}),
    ...saslOptions(host),
    ...(url.tls ? tlsOptions(url, host, read) : {}),
  } as RheaConnectOptions;
  return { options, label: hostLabel(host) };
}
