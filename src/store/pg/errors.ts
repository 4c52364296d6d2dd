/**
 * Which PostgreSQL failures mean "the database is away" (STORE_UNAVAILABLE: refuse writes,
 * answer from the cache, reconnect) rather than a statement the relay got wrong.
 */
import { RelayError } from '../../errors.js';
import { redactText } from '../../util/redact.js';

// SQLSTATE classes and codes of a server that cannot serve now: connection exception (08),
// operator intervention (57P: shutdown, crash, cannot connect now), too many connections,
// a database in recovery that refuses writes.
const AWAY = /^(08|57P)|^53300$|^25006$/;

export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // A SQLSTATE is five characters; anything else (ECONNREFUSED, a timeout, "Connection
  // terminated") comes from the socket or the client, not from a statement.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return AWAY.test(code);
  // Duck-typed: an error from another realm (a VM context) is no instanceof Error here.
  return typeof (e as { message?: unknown } | null)?.message === 'string';
}

export function describe(e: unknown): string {
  const err = e as { message?: string; code?: string } | null;
  const text = err?.message || (err?.code ?? String(e));
  return redactText(err?.code && !text.includes(err.code) ? `${text} (${err.code})` : text);
}

export function unavailable(reason: string, cause?: unknown): RelayError {
  return new RelayError(
    'STORE_UNAVAILABLE',
    `the PostgreSQL store (store.url) cannot be reached: ${reason}; the change was not made, retry when the store is back (readiness reports it)`,
    { cause },
  );
}
