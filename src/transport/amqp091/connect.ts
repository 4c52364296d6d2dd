/**
 * Opening an AMQP 0-9-1 connection to one host of a transport_url. Which host, how often and
 * how long to wait is the supervisor's business (../supervisor.ts); this connects once.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { connect, type Channel, type ChannelModel, type Options, type SocketOptions } from 'amqplib';
import { redactText } from '../../util/redact.js';
import type { TransportOptions } from '../options.js';
import { hostLabel, type TransportHost, type TransportUrl } from '../transport-url.js';
import { RelayError } from '../../errors.js';
import { heartbeatSeconds, tlsFiles } from '../url-options.js';

export interface ConnectionTarget {
  readonly target: Options.Connect;
  readonly socket: SocketOptions;
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
export function connectionTarget(
  url: TransportUrl,
  host: TransportHost,
  opts: TransportOptions,
  vimId: string,
): ConnectionTarget {
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
    // The supervisor bounds the whole attempt with the same value; this idle timeout also
    // frees the socket of an attempt the supervisor has already given up on.
    timeout: opts.connectTimeoutMs,
    // Shown by rabbitmqctl list_connections / the management UI, so operators can tell us apart.
    clientProperties: { connection_name: `vim-event-relay ${vimId}` },
    ...(url.tls ? tlsFiles(url.query) : {}),
  };
  return { target, socket };
}

/** Node publishes every socket net.connect() creates here, synchronously within the call. */
const clientSockets = diagnostics.channel('net.client.socket');
let capture: ((socket: Socket) => void) | undefined;
clientSockets.subscribe((message) => capture?.((message as { socket: Socket }).socket));

/**
 * Connects to one host. `connected` is called once TCP is up (the process-wide connect slot is
 * held for the TCP connect only, so a broker that accepts and then stays silent does not block
 * other VIMs' attempts). amqplib does not hand out its socket, so it is picked up from Node's
 * net.client.socket diagnostics channel, published synchronously inside connect(); for TLS
 * (tls.connect publishes nothing there) the slot is held until the handshake is done. On
 * `signal` the socket is destroyed and the promise rejects.
 */
export async function connectHost(
  url: TransportUrl,
  host: TransportHost,
  opts: TransportOptions,
  vimId: string,
  signal: AbortSignal,
  connected: () => void,
): Promise<ChannelModel> {
  const { target, socket } = connectionTarget(url, host, opts, vimId);
  let sock: Socket | undefined;
  capture = (s) => (sock ??= s);
  let pending: Promise<ChannelModel>;
  try {
    pending = connect(target, socket);
  } finally {
    capture = undefined;
  }
  const tcp: Socket | undefined = sock;
  if (tcp) {
    if (tcp.connecting) tcp.once('connect', connected);
    else connected();
  }
  const abort = (): void => {
    tcp?.destroy(new Error('attempt abandoned'));
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    const model = await pending;
    connected();
    if (signal.aborted) {
      await closeQuietly(model);
      throw signal.reason;
    }
    return model;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/**
 * A short-lived connection for one job (declaring for an AMQP 1.0 VIM, retiring a removed VIM's
 * queue): one round over the URL's hosts from `start`, each bounded by the connect timeout; the
 * first that opens wins.
 */
export async function connectOnce(
  url: TransportUrl,
  opts: TransportOptions,
  vimId: string,
  start = 0,
): Promise<ChannelModel> {
  const failures: string[] = [];
  for (let i = 0; i < url.hosts.length; i++) {
    const host = url.hosts[(start + i) % url.hosts.length];
    try {
      return await connectHost(url, host, opts, vimId, AbortSignal.timeout(opts.connectTimeoutMs), () => undefined);
    } catch (err) {
      failures.push(`${hostLabel(host)}: ${errorText(err)}`);
    }
  }
  throw new RelayError('BROKER_UNREACHABLE', `no broker host accepted the connection (${failures.join('; ')})`);
}

/**
 * connectOnce() to a VIM's broker over AMQP 0-9-1 whatever the VIM reads (RabbitMQ serves 0-9-1
 * and 1.0 on one port, so a 1.0 VIM's hosts take a 0-9-1 connection), the connection's 'error'
 * events going to `onError`: the tools that work on a VIM's queues (dead letters, backlog,
 * retiring) each open theirs so.
 */
export async function connectVimBroker(
  url: TransportUrl,
  opts: TransportOptions,
  vimId: string,
  onError: (err: Error) => void,
): Promise<ChannelModel> {
  const model = await connectOnce(url.kind === 'amqp091' ? url : { ...url, kind: 'amqp091' }, opts, vimId);
  model.on('error', onError);
  return model;
}
