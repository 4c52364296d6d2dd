/**
 * What a failed connection attempt means, in words an operator can act on. amqplib and rhea
 * report the broker's refusals in their own terms ("Expected ConnectionOpenOk; got
 * <ConnectionClose channel:0>", "Unsupported AMQP version: 0-9-1"); this names the cause, the
 * virtual host or user concerned, and the fix. The broker's own words stay in the text (after
 * "broker said:") for searching its log. Never includes a password: the host's password is
 * masked wherever it appears, and URL credentials are redacted as everywhere else.
 */
import { RelayError } from '../errors.js';
import { redactText } from '../util/redact.js';
import type { TransportKind } from './transport-url.js';

export interface AttemptContext {
  readonly kind: TransportKind;
  readonly vhost: string;
  /** The URL's user for this host; undefined = none given (1.0: SASL ANONYMOUS). */
  readonly username?: string;
  readonly password?: string;
  readonly connectTimeoutMs: number;
}

export interface ExplainedFailure {
  readonly text: string;
  /** The same on every host (a configuration problem such as an unreadable TLS file): reported once, without a host. */
  readonly hostIndependent: boolean;
}

/** Raised by the supervisor when an attempt outlives transport.connectTimeoutMs. */
export class ConnectTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no connection within ${timeoutMs} ms (transport.connectTimeoutMs)`);
    this.name = 'ConnectTimeoutError';
  }
}

/** Condition and description of a rhea AmqpError / ConnectionError, if it is one. */
function amqp10Parts(e: unknown): { condition?: string; description?: string } {
  const x = e as { condition?: unknown; description?: unknown } | null;
  if (x === null || typeof x !== 'object') return {};
  return {
    ...(typeof x.condition === 'string' ? { condition: x.condition } : {}),
    ...(typeof x.description === 'string' ? { description: x.description } : {}),
  };
}

function messageOf(e: unknown): string {
  if (typeof e === 'string') return e;
  const { condition, description } = amqp10Parts(e);
  if (condition || description) return [condition, description].filter(Boolean).join(': ');
  if (e instanceof Error) return e.message;
  return String(e);
}

const user = (ctx: AttemptContext): string =>
  ctx.username ? `user "${ctx.username}"` : "the broker's default user (the URL names none)";

/** `tag`: the refusal in the protocol's own terms (0-9-1 ACCESS_REFUSED, 1.0 amqp:unauthorized-access). */
function loginRefused(ctx: AttemptContext, said: string, tag: string): string {
  return `login refused for ${user(ctx)} (${tag}): check the user name and password in the transport_url (the password is not shown) (broker said: ${said})`;
}

function vhostRefused(ctx: AttemptContext, said: string): string {
  const v = ctx.vhost;
  const who = ctx.username ?? '<user>';
  return (
    `virtual host "${v}" does not exist or ${user(ctx)} has no access to it: create it (rabbitmqctl add_vhost ${v}) and grant access ` +
    `(rabbitmqctl set_permissions -p ${v} ${who} ".*" ".*" ".*"), or correct the virtual host in the transport_url (broker said: ${said})`
  );
}

function timeoutText(ms: number): string {
  return `no answer within ${ms} ms (transport.connectTimeoutMs): the host accepted the TCP connection but did not complete the AMQP handshake, or did not answer at all; check that host:port is the broker's AMQP port and that it is not overloaded`;
}

function socketText(code: string, said: string): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused (ECONNREFUSED): nothing listens on that host and port; check the transport_url and that the broker is running (${said})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name does not resolve (${code}): check the host in the transport_url (${said})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to the host (${code}): check the host in the transport_url and the network (${said})`;
    default:
      return undefined;
  }
}

function explain091(ctx: AttemptContext, said: string): string | undefined {
  if (/ACCESS[-_]REFUSED|\b403\b/.test(said) && /Handshake terminated|Login was refused/.test(said))
    return loginRefused(ctx, said, 'ACCESS_REFUSED');
  // RabbitMQ refuses connection.open (unknown vhost, or no permission on it) with a bare
  // connection.close that amqplib reports without its text.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(said) || /NOT[-_]ALLOWED|\b530\b/.test(said))
    return vhostRefused(ctx, said);
  return undefined;
}

function explain10(ctx: AttemptContext, e: unknown, said: string): string | undefined {
  // The listener wraps rhea's error (as `cause`) in a text that says where it happened.
  const own = amqp10Parts(e);
  const { condition, description = '' } = own.condition ? own : amqp10Parts((e as { cause?: unknown } | null)?.cause);
  if (condition === 'amqp:unauthorized-access') {
    // SASL outcome 1 ("auth") vs. RabbitMQ's close after open for a vhost the user cannot use.
    if (/Failed to authenticate/i.test(description)) return loginRefused(ctx, said, condition);
    if (/insufficient permissions|vhost/i.test(description)) return vhostRefused(ctx, said);
  }
  const unknown = /unknown_destination,\s*"([^"]*)"/.exec(description) ?? /unknown_destination,\s*"([^"]*)"/.exec(said);
  if (unknown) {
    // oslo's routable addresses are for a qpid-dispatch-router; RabbitMQ's plugin knows its own forms only.
    return `the broker does not know the address "${unknown[1]}" (RabbitMQ's AMQP 1.0 plugin takes only its own address forms): set the VIM's addresses to /exchange/<exchange>/<topic>.<priority> (e.g. /exchange/nova/notifications.info) or /amq/queue/<queue>, or use rabbit:// in the transport_url to read this VIM over 0-9-1 (broker said: ${said})`;
  }
  if (/Unsupported AMQP version: 0-9-1/.test(said)) {
    return `the broker speaks only AMQP 0-9-1, not AMQP 1.0: enable RabbitMQ's AMQP 1.0 plugin (rabbitmq-plugins enable rabbitmq_amqp1_0), or use rabbit:// in the transport_url to read this VIM over 0-9-1 (broker said: ${said})`;
  }
  return undefined;
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The readable text of one failed attempt on one host (without the host, which the caller adds). */
export function explainConnectFailure(e: unknown, ctx: AttemptContext): ExplainedFailure {
  // A password equal to the user name is not masked: the user name is shown everywhere anyway.
  const secrets = ctx.password && ctx.password !== ctx.username ? [ctx.password] : [];
  const clean = (t: string): string => redactText(t, secrets);
  // Our own errors (a refused declaration, an unreadable TLS file) already say what to fix.
  if (e instanceof RelayError) return { text: clean(e.message), hostIndependent: e.code === 'CONFIG_INVALID' };
  if (e instanceof ConnectTimeoutError) return { text: timeoutText(e.timeoutMs), hostIndependent: false };
  const said = messageOf(e);
  // amqplib's own socket timeout (set to the same transport.connectTimeoutMs).
  if (said === 'connect ETIMEDOUT') return { text: timeoutText(ctx.connectTimeoutMs), hostIndependent: false };
  const code = errnoCode(e) ?? errnoCode((e as { cause?: unknown } | null)?.cause);
  const explained =
    (code ? socketText(code, said) : undefined) ??
    (ctx.kind === 'amqp091' ? explain091(ctx, said) : explain10(ctx, e, said));
  return { text: clean(explained ?? said), hostIndependent: false };
}
