/**
 * Opening an AMQP 0-9-1 connection to one of a transport_url's hosts. A "round" tries every
 * host once, starting where the last connection was lost, as kombu does for oslo: it only
 * sleeps once a full cycle over the alternates has failed, so failover to a healthy host is
 * immediate while an all-down cluster is retried with backoff (the caller's job).
 */
import { connect, type Channel, type ChannelModel, type Options, type SocketOptions } from 'amqplib';
import { RelayError } from '../../errors.js';
import { redactText } from '../../util/redact.js';
import type { TransportOptions } from '../options.js';
import { hostLabel, type TransportHost, type TransportUrl } from '../transport-url.js';
import { heartbeatSeconds, tlsFiles } from '../url-options.js';

/** Bounds TCP connect plus the AMQP handshake, so a black-holed host cannot stall a round. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectionTarget {
  readonly target: Options.Connect;
  readonly socket: SocketOptions;
}

export interface Connected {
  readonly model: ChannelModel;
  readonly hostIndex: number;
}

/** An error's message, safe for a log line or a status reason. */
export function errorText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

/** Closes a channel or connection that may already be closed (then amqplib throws). */
export async function closeQuietly(c: Channel | ChannelModel): Promise<void> {
  try {
    await c.close();
  } catch {
    // Already closed by the broker or by a dropped socket: nothing left to release.
  }
}

/** amqplib options for one host. Throws on an unreadable TLS file. */
export function connectionTarget(url: TransportUrl, host: TransportHost, opts: TransportOptions, vimId: string): ConnectionTarget {
  const target: Options.Connect = {
    protocol: url.tls ? 'amqps' : 'amqp',
    hostname: host.hostname,
    port: host.port,
    username: host.username,
    password: host.password,
    // amqplib percent-decodes the vhost once more (querystring.unescape), so hand it re-encoded:
    // a vhost with a literal "%" would otherwise be mangled.
    vhost: encodeURIComponent(url.vhost),
    heartbeat: heartbeatSeconds(url, opts),
  };
  const socket: SocketOptions = {
    timeout: CONNECT_TIMEOUT_MS,
    // Shown by rabbitmqctl list_connections / the management UI, so operators can tell us apart.
    clientProperties: { connection_name: `vim-event-relay ${vimId}` },
    ...(url.tls ? tlsFiles(url.query) : {}),
  };
  return { target, socket };
}

/** What a handshake refusal usually means, for the status reason. */
function hint(message: string): string {
  if (/ACCESS[-_]REFUSED|\b403\b/.test(message)) return '; check the user name and password in the transport_url';
  if (/NOT[-_]ALLOWED|\b530\b/.test(message)) return '; check the virtual host in the transport_url and the user\'s permissions on it';
  return '';
}

/** Tries each host once, round robin from `start`; resolves with the first that accepts. */
export async function connectRound(url: TransportUrl, opts: TransportOptions, start: number, vimId: string): Promise<Connected> {
  const failures: string[] = [];
  for (let i = 0; i < url.hosts.length; i++) {
    const hostIndex = (start + i) % url.hosts.length;
    const host = url.hosts[hostIndex]!;
    const { target, socket } = connectionTarget(url, host, opts, vimId);
    try {
      return { model: await connect(target, socket), hostIndex };
    } catch (err) {
      const text = errorText(err);
      failures.push(`${hostLabel(host)}: ${text}${hint(text)}`);
    }
  }
  throw new RelayError('BROKER_UNREACHABLE', `no broker host accepted the connection (${failures.join('; ')})`);
}
