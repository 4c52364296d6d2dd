/**
 * The wrappers oslo.messaging puts around a notification, peeled down to the flat message:
 * - rabbit driver `messaging` (1.0): the flat dict itself;
 * - rabbit driver `messagingv2` (nova's default): `{"oslo.version": "2.0", "oslo.message": "<JSON text>"}`;
 * - AMQP 1.0 driver (impl_amqp1 `marshal_request`): `{"request": <either of the above>, "context": {...}}`.
 */
import { isPlainObject } from '../util/json.js';
import { RelayError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

export type Unwrapped = { ok: true; message: JsonObject } | { ok: false; error: RelayError };

const VERSION_KEY = 'oslo.version';
const MESSAGE_KEY = 'oslo.message';

export const isJsonObject: (v: unknown) => v is JsonObject = isPlainObject;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Body bytes or text -> the parsed JSON value; invalid UTF-8 or JSON is NOT_JSON. */
export function decodeJson(body: Uint8Array | string): { ok: true; value: unknown } | { ok: false; error: RelayError } {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch (cause) {
    return { ok: false, error: new RelayError('NOT_JSON', 'The body is not valid UTF-8.', { cause }) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    return { ok: false, error: new RelayError('NOT_JSON', `The body is not JSON: ${why}`, { cause }) };
  }
}

function isEnvelope(o: JsonObject): boolean {
  return VERSION_KEY in o || MESSAGE_KEY in o;
}

/** Only oslo's own amqp1 body has `request` next to `context` and no `event_type` of its own. */
function isAmqp1Body(o: JsonObject): boolean {
  return 'request' in o && 'context' in o && !('event_type' in o);
}

function openEnvelope(o: JsonObject): Unwrapped {
  const version = o[VERSION_KEY];
  if (version !== '2.0') {
    const got = version === undefined ? 'missing' : JSON.stringify(version);
    return badEnvelope(`oslo.version must be "2.0" (the only version oslo.messaging writes); got ${got}.`);
  }
  const text = o[MESSAGE_KEY];
  if (typeof text !== 'string') return badEnvelope('oslo.message must be a string holding the JSON-encoded message.');
  let inner: unknown;
  try {
    inner = JSON.parse(text);
  } catch (cause) {
    return badEnvelope('oslo.message is not valid JSON text.', cause);
  }
  if (!isJsonObject(inner)) return badEnvelope('oslo.message must encode a JSON object.');
  return { ok: true, message: inner };
}

function badEnvelope(message: string, cause?: unknown): Unwrapped {
  return { ok: false, error: new RelayError('BAD_ENVELOPE', message, cause === undefined ? undefined : { cause }) };
}

/** What lies inside at most one amqp1 body: the body itself, or its `request`; undefined when that is no object. */
function peelAmqp1(body: JsonObject): JsonObject | undefined {
  if (!isAmqp1Body(body)) return body;
  const request = body.request;
  return isJsonObject(request) ? request : undefined;
}

/**
 * The `oslo.message` text of a body unwrap() would open as a well-formed 2.0 envelope (after at
 * most one amqp1 body), undefined for any other body: what the filtered fast path reads.
 */
export function envelopeText(body: JsonObject): string | undefined {
  const current = peelAmqp1(body);
  if (!current || !isEnvelope(current) || current[VERSION_KEY] !== '2.0') return undefined;
  const text = current[MESSAGE_KEY];
  return typeof text === 'string' ? text : undefined;
}

/** Peels at most one amqp1 body and then at most one 2.0 envelope, the only nesting oslo produces. */
export function unwrap(body: JsonObject): Unwrapped {
  const current = peelAmqp1(body);
  if (!current) return badEnvelope('The AMQP 1.0 body\'s "request" must be a JSON object.');
  return isEnvelope(current) ? openEnvelope(current) : { ok: true, message: current };
}
