/**
 * Any body a VIM's broker (or a replay file) hands us -> a Notification or a typed error.
 * Never throws: a broken message must be dead-lettered with a reason, not crash a listener.
 */
import { createHash } from 'node:crypto';
import { RelayError } from '../errors.js';
import { decodeJson, envelopeText, isJsonObject, unwrap, type JsonObject } from './envelope.js';
import { peekHead, restIsSilent, type Peeked, type PeekedHead } from './peek.js';
import { toIsoUtc } from './time.js';
import type { Notification } from './types.js';

export type ParseResult = { ok: true; notification: Notification } | { ok: false; error: RelayError };

const fail = (code: RelayError['code'], message: string, cause?: unknown): ParseResult => ({
  ok: false,
  error: new RelayError(code, message, cause === undefined ? undefined : { cause }),
});

const notANotification = (message: string): ParseResult => fail('NOT_A_NOTIFICATION', message);

function isBytes(body: unknown): body is Uint8Array {
  return body instanceof Uint8Array;
}

/**
 * A redelivery carries the same bytes, so hashing them gives a message_id that survives
 * redelivery for bodies that lack one (trimmed samples, hand-written replay files).
 */
function bodyDigest(body: unknown): string {
  const raw = isBytes(body) || typeof body === 'string' ? body : JSON.stringify(body);
  return `sha256:${createHash('sha256')
    .update(raw ?? '')
    .digest('hex')}`;
}

/** Listener-shaped bodies (oslo NotificationListener's view) keep message_id/timestamp under `metadata`. */
function field(message: JsonObject, key: 'message_id' | 'timestamp'): unknown {
  if (message[key] !== undefined) return message[key];
  const metadata = message.metadata;
  return isJsonObject(metadata) ? metadata[key] : undefined;
}

function optionalString(key: string, value: unknown): string | RelayError {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string')
    return new RelayError('NOT_A_NOTIFICATION', `${key} must be a string; got ${typeof value}.`);
  return value;
}

function readTimestamp(message: JsonObject): string | RelayError {
  const value = optionalString('timestamp', field(message, 'timestamp'));
  if (typeof value !== 'string' || value === '') return value;
  return (
    toIsoUtc(value) ??
    new RelayError(
      'NOT_A_NOTIFICATION',
      `timestamp ${JSON.stringify(value.slice(0, 64))} is not a date in any form nova writes.`,
    )
  );
}

function readPayload(message: JsonObject): JsonObject | RelayError {
  const payload = message.payload;
  if (!isJsonObject(payload)) {
    const got = payload === undefined ? 'missing' : Array.isArray(payload) ? 'an array' : typeof payload;
    return new RelayError('NOT_A_NOTIFICATION', `payload must be a JSON object; got ${got}.`);
  }
  if ('nova_object.data' in payload && !isJsonObject(payload['nova_object.data'])) {
    return new RelayError('NOT_A_NOTIFICATION', 'payload.nova_object.data must be a JSON object.');
  }
  return payload;
}

function toNotification(message: JsonObject, body: unknown): ParseResult {
  const eventType = message.event_type;
  if (typeof eventType !== 'string' || eventType === '') {
    return notANotification(
      `event_type must be a non-empty string; got ${eventType === undefined ? 'missing' : JSON.stringify(eventType)}.`,
    );
  }
  const payload = readPayload(message);
  if (payload instanceof RelayError) return { ok: false, error: payload };
  const publisherId = optionalString('publisher_id', message.publisher_id);
  if (publisherId instanceof RelayError) return { ok: false, error: publisherId };
  const priority = optionalString('priority', message.priority);
  if (priority instanceof RelayError) return { ok: false, error: priority };
  const messageId = optionalString('message_id', field(message, 'message_id'));
  if (messageId instanceof RelayError) return { ok: false, error: messageId };
  const timestamp = readTimestamp(message);
  if (timestamp instanceof RelayError) return { ok: false, error: timestamp };
  const notification: Notification = {
    messageId: messageId || bodyDigest(body),
    eventType,
    priority: priority.toUpperCase(),
    publisherId,
    timestamp,
    payload,
    format: 'nova_object.data' in payload ? 'versioned' : 'legacy',
  };
  return { ok: true, notification };
}

/** A body's JSON value (bytes and text are decoded), or NOT_JSON. */
export type Decoded = { ok: true; value: unknown } | { ok: false; error: RelayError };

/** Bytes (UTF-8 JSON) or JSON text -> its value; anything else is taken as already parsed. */
export function decodeBody(body: unknown): Decoded {
  return isBytes(body) || typeof body === 'string' ? decodeJson(body) : { ok: true, value: body };
}

/**
 * The event type and priority of a decoded oslo 2.0 envelope, read from the head of its message
 * without parsing it (src/notifications/peek.ts), or null: then only parseDecoded can tell. For
 * a body parseDecoded accepts, a non-null answer is that notification's event type and
 * priority; the rest of the message is not read, so it says nothing of whether it is accepted.
 */
export function peekDecoded(value: unknown): Peeked | null {
  const head = peekDecodedHead(value);
  return head !== null && restIsSilent(head) ? { eventType: head.eventType, priority: head.priority } : null;
}

/** peekDecoded() without the search of the rest: trust it only once restIsSilent() agrees (peek.ts). */
export function peekDecodedHead(value: unknown): PeekedHead | null {
  if (!isJsonObject(value)) return null;
  const text = envelopeText(value);
  return text === undefined ? null : peekHead(text);
}

function parseUnsafe(value: unknown, body: unknown): ParseResult {
  if (!isJsonObject(value)) {
    return notANotification(
      `The body must be a JSON object; got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`,
    );
  }
  const unwrapped = unwrap(value);
  if (!unwrapped.ok) return unwrapped;
  return toNotification(unwrapped.message, body);
}

/** parseNotification's second half: `value` is decodeBody(body)'s value. Never throws. */
export function parseDecoded(value: unknown, body: unknown): ParseResult {
  try {
    return parseUnsafe(value, body);
  } catch (cause) {
    // Only reachable with in-process objects JSON never yields (cycles, BigInt, throwing getters).
    return fail(
      'NOT_A_NOTIFICATION',
      `The body could not be read as JSON data: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    );
  }
}

/**
 * Accepts a Buffer (UTF-8 JSON), JSON text, or an already-parsed value, in any of the
 * shapes oslo and its consumers produce: 2.0 envelope, flat 1.0 body, AMQP 1.0 driver body,
 * NotificationListener view (`metadata`, `ctxt`) and trimmed samples.
 */
export function parseNotification(body: unknown): ParseResult {
  const decoded = decodeBody(body);
  return decoded.ok ? parseDecoded(decoded.value, body) : decoded;
}
