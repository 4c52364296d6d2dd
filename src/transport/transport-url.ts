/**
 * oslo.messaging transport_url, as pasted from nova.conf:
 *   rabbit://user:pass@h1:5672,user2:pass2@h2:5672/vhost?ssl=1&heartbeat_timeout_threshold=60
 * Several hosts mean failover (tried round robin, as oslo does). `amqp://` and `amqps://`
 * select AMQP 1.0. Pure: no I/O.
 */
import { isIP } from 'node:net';
import { redactText, redactValue } from '../util/redact.js';

export type TransportKind = 'amqp091' | 'amqp10';

export interface TransportHost {
  readonly hostname: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

export interface TransportUrl {
  readonly scheme: string;
  readonly kind: TransportKind;
  readonly hosts: readonly TransportHost[];
  /** AMQP 0-9-1 virtual host ("/" when the URL names none). */
  readonly vhost: string;
  readonly tls: boolean;
  /** oslo query options, e.g. ssl_ca_file, ssl_cert_file, ssl_key_file, heartbeat_timeout_threshold. */
  readonly query: Readonly<Record<string, string>>;
  /** heartbeat_timeout_threshold, checked (whole seconds, 0 disables); absent when not given. */
  readonly heartbeatSeconds?: number;
}

const SCHEMES: Record<string, { kind: TransportKind; tls: boolean; port: number }> = {
  rabbit: { kind: 'amqp091', tls: false, port: 5672 },
  kombu: { kind: 'amqp091', tls: false, port: 5672 },
  amqp: { kind: 'amqp10', tls: false, port: 5672 },
  amqps: { kind: 'amqp10', tls: true, port: 5671 },
};

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);

export class TransportUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportUrlError';
  }
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TransportUrlError(
      `the ${what} is not valid percent-encoding; encode special characters (e.g. "@" as %40)`,
    );
  }
}

// A DNS name (letters, digits, "-" and "_" in dot-separated labels) or an IPv4 address; an IPv6
// address comes in brackets. Anything else (":::", "a b", "h@x") would be handed to the socket
// layer, which reads some of it as "any address" and connects to [::].
const HOST_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?)*\.?$/;

function checkHostname(hostname: string, bracketed: boolean): void {
  if (bracketed) {
    if (isIP(hostname) !== 6)
      throw new TransportUrlError(`host "[${hostname}]" is not an IPv6 address; write e.g. [2001:db8::7]`);
    return;
  }
  if (hostname.includes(':'))
    throw new TransportUrlError(
      `host "${hostname}" is not a host name; an IPv6 address goes in brackets, e.g. [2001:db8::7]:5672`,
    );
  if (!HOST_NAME.test(hostname)) {
    throw new TransportUrlError(
      `host "${hostname}" is not a host name or address; write e.g. rabbit.example.org or 10.0.0.5 (percent-encode an "@" or ":" in the password)`,
    );
  }
  if (/^[\d.]+$/.test(hostname) && isIP(hostname) !== 4)
    throw new TransportUrlError(`host "${hostname}" is not an IPv4 address`);
}

function parseHost(spec: string, defaultPort: number): TransportHost {
  const at = spec.lastIndexOf('@');
  const creds = at >= 0 ? spec.slice(0, at) : undefined;
  const hostPort = at >= 0 ? spec.slice(at + 1) : spec;
  let hostname: string;
  let portText: string | undefined;
  const bracketed = hostPort.startsWith('[');
  if (bracketed) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new TransportUrlError(`host "${hostPort}" has an unclosed IPv6 bracket`);
    hostname = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      throw new TransportUrlError(`host "${hostPort}" has "${rest}" after its "]"; write [address]:port`);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    if (hostPort.split(':').length > 2)
      throw new TransportUrlError(
        `host "${hostPort}" is not a host name; an IPv6 address goes in brackets, e.g. [2001:db8::7]:5672`,
      );
    const colon = hostPort.indexOf(':');
    hostname = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    portText = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
  }
  if (!hostname)
    throw new TransportUrlError('a host is empty; write user:pass@host:port for each host, comma-separated');
  checkHostname(hostname, bracketed);
  if (portText === '')
    throw new TransportUrlError(`host ${hostname} has a ":" but no port; write ${hostname}:5672, or leave out the ":"`);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!/^\d{1,5}$/.test(portText ?? '1') || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportUrlError(`port "${portText}" of host ${hostname} is not a number from 1 to 65535`);
  }
  if (creds === undefined) return { hostname, port };
  const colon = creds.indexOf(':');
  const username = decode(colon >= 0 ? creds.slice(0, colon) : creds, 'user name');
  const password = colon >= 0 ? decode(creds.slice(colon + 1), 'password') : undefined;
  return { hostname, port, username, password };
}

// An unencoded "/", "?" or "#" in a password ends the host part early: what follows the "@" is
// then read as the virtual host or the options, and the password's first piece as a host.
const AT_AFTER_HOSTS =
  'an "@" follows the host part: a user name or password holding "/", "?" or "#" must percent-encode them (%2F, %3F, %23), as must a virtual host or option holding "@" (%40)';

/**
 * The comma-separated hosts. A host written without credentials before one written with them may
 * be a piece of a password cut at an unencoded ",": its error quotes nothing of it.
 */
function parseHosts(netloc: string, afterHosts: string, defaultPort: number): TransportHost[] {
  const specs = netloc.split(',');
  const lastWithCreds = specs.map((s) => s.includes('@')).lastIndexOf(true);
  const lastSpec = specs[specs.length - 1];
  if (afterHosts.startsWith('/') && afterHosts.split('?')[0].includes('@')) throw new TransportUrlError(AT_AFTER_HOSTS);
  if (afterHosts.includes('@') && !lastSpec.includes('@')) throw new TransportUrlError(AT_AFTER_HOSTS);
  return specs.map((spec, i) => {
    if (spec.includes('@') || i > lastWithCreds) return parseHost(spec, defaultPort);
    try {
      return parseHost(spec, defaultPort);
    } catch (e) {
      if (!(e instanceof TransportUrlError)) throw e;
      throw new TransportUrlError(
        `host ${i + 1} of ${specs.length} is not host[:port] (not quoted: it may be part of a password); a user name or password holding "," must percent-encode it (%2C)`,
      );
    }
  });
}

export function parseTransportUrl(url: string): TransportUrl {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url.trim());
  if (!m)
    throw new TransportUrlError(
      'expected scheme://[user:pass@]host[:port][,...]/[vhost][?options], e.g. rabbit://guest:guest@127.0.0.1:5672/',
    );
  const scheme = m[1].toLowerCase();
  const known = SCHEMES[scheme];
  if (!known)
    throw new TransportUrlError(
      `scheme "${scheme}" is not supported; use rabbit:// (AMQP 0-9-1) or amqp:// / amqps:// (AMQP 1.0)`,
    );
  const netloc = m[2] ?? '';
  if (!netloc) throw new TransportUrlError('no host given; e.g. rabbit://guest:guest@127.0.0.1:5672/');
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams((m[4] ?? '').slice(1))) query[k] = v;
  const tls = known.tls || TRUE_VALUES.has((query.ssl ?? '').toLowerCase());
  const defaultPort = tls && known.kind === 'amqp091' ? 5671 : known.port;
  const parsed = parseHosts(netloc, (m[3] ?? '') + (m[4] ?? ''), defaultPort);
  // oslo gives each host its own credentials; a host written without them uses the first given.
  const first = parsed.find((h) => h.username !== undefined);
  const hosts = parsed.map((h) =>
    h.username === undefined && first ? { ...h, username: first.username, password: first.password } : h,
  );
  const path = (m[3] ?? '/').slice(1);
  const vhost = path === '' ? '/' : decode(path, 'virtual host');
  const heartbeatSeconds = parseHeartbeat(query.heartbeat_timeout_threshold);
  return {
    scheme,
    kind: known.kind,
    hosts,
    vhost,
    tls,
    query,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
  };
}

/** oslo's heartbeat_timeout_threshold: whole seconds, 0 disables; empty means not given. */
function parseHeartbeat(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new TransportUrlError(
      `heartbeat_timeout_threshold "${raw}" is not a whole number of seconds; write e.g. heartbeat_timeout_threshold=60 (0 disables heartbeats)`,
    );
  }
  return n;
}

/** host:port for logs and status reasons (IPv6 in brackets); never credentials. */
export function hostLabel(h: TransportHost): string {
  return h.hostname.includes(':') ? `[${h.hostname}]:${h.port}` : `${h.hostname}:${h.port}`;
}

/** The URL with every password replaced by ***, for logs and API answers. Never throws. */
export function redactTransportUrl(url: string): string {
  return redactText(redactValue(url));
}
