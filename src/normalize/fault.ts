/**
 * Why an instance failed, as nova says it: the `fault` object of an ERROR message. A closed
 * loop needs it to tell a lost host from a quota. Versioned `*.error` payloads carry an
 * ExceptionPayload in `fault` (exception class, exception_message); legacy error payloads carry
 * nova's exception_to_dict (`message`, `code`) and wrap_exception's `exception`. What nova did
 * not send is null; the traceback is never copied (large, and it names code paths, not causes).
 */
import { isPlainObject } from '../util/json.js';
import type { Notification } from '../notifications/types.js';

export interface Fault {
  /** The exception's class, e.g. "FlavorDiskTooSmall"; null when not given. */
  readonly exception: string | null;
  /** The exception's message as nova formatted it. */
  readonly message: string | null;
  /** nova's HTTP-like code (legacy payloads), e.g. 500. */
  readonly code: number | null;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (isPlainObject(v) ? v : undefined);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** An exception given as an object (wrap_exception's payload) is named by its class or its repr. */
function exceptionName(v: unknown): string | null {
  const o = obj(v);
  if (!o) return str(v);
  return str(o.class) ?? str(o.__class__) ?? str(o.name) ?? null;
}

export function faultOf(n: Notification): Fault {
  if (n.format === 'versioned') {
    const data = obj(n.payload['nova_object.data']);
    const f = obj(obj(data?.fault)?.['nova_object.data']);
    return { exception: str(f?.exception), message: str(f?.exception_message), code: null };
  }
  const p = n.payload;
  const code = typeof p.code === 'number' && Number.isInteger(p.code) ? p.code : null;
  return { exception: exceptionName(p.exception), message: str(p.message), code };
}
