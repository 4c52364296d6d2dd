/** Notification + match -> the VM message (README "Published messages"). Pure. */
import { RelayError, isRelayError } from '../errors.js';
import type { InstanceState, Match } from '../model/subscription.js';
import { INSTANCE_STATES } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import { fromLegacy } from './legacy.js';
import { fromVersioned } from './versioned.js';
import { VM_KEYS, type VmFields } from './vm-fields.js';
import type { Fault } from './fault.js';

export interface VmEnvelope {
  vim_id: string;
  event: InstanceState;
  event_type: string;
  message_id: string;
  /** ISO 8601 UTC with `Z`; "" when the notification carried none. */
  timestamp: string;
  publisher_id: string;
}

/** `fault` only on ERROR messages (normalize.errorFault), after every other key. */
export type VmMessage = VmEnvelope & VmFields & { fault?: Fault };

export const ENVELOPE_KEYS: readonly (keyof VmEnvelope)[] = [
  'vim_id',
  'event',
  'event_type',
  'message_id',
  'timestamp',
  'publisher_id',
];

const INSTANCE_STATE_SET = new Set<string>(INSTANCE_STATES);

function isInstanceState(s: string): s is InstanceState {
  return INSTANCE_STATE_SET.has(s);
}

/**
 * The instance keys of a notification's VM message: everything but the envelope, and the same
 * whatever event or subscription it is published as, so a caller that needs the message for
 * several events (or for the check_vim_status window) maps the payload once.
 * Throws RelayError('UNMAPPABLE') when the payload is not an instance payload or a field has a
 * type nova never sends; the message names the field and the event type.
 */
export function toVmFields(n: Notification): VmFields {
  try {
    return n.format === 'versioned' ? fromVersioned(n.payload) : fromLegacy(n.payload);
  } catch (e) {
    if (isRelayError(e)) throw new RelayError(e.code, `${n.eventType}: ${e.message}`, { cause: e });
    throw e;
  }
}

/* Every key in contract order, to clone (see blankFields in vm-fields.ts for why). */
const MESSAGE_TEMPLATE: Readonly<Record<keyof VmMessage, null>> = {
  ...Object.fromEntries([...ENVELOPE_KEYS, ...VM_KEYS].map((k) => [k, null])),
} as Record<keyof VmMessage, null>;

/**
 * Throws RelayError('UNMAPPABLE') as toVmFields does, or for a compute-node event. `fields`,
 * when given, must be toVmFields(n).
 */
export function toVmMessage(vimId: string, n: Notification, m: Match, fields?: VmFields, fault?: Fault): VmMessage {
  if (!isInstanceState(m.event)) {
    throw new RelayError(
      'UNMAPPABLE',
      `${n.eventType}: ${m.event} is a compute-node event; it is published as the compute-node message, not the VM message.`,
    );
  }
  const f = fields ?? toVmFields(n);
  const msg: Record<keyof VmMessage, unknown> = { ...MESSAGE_TEMPLATE };
  msg.vim_id = vimId;
  msg.event = m.event;
  msg.event_type = n.eventType;
  msg.message_id = n.messageId;
  msg.timestamp = n.timestamp;
  msg.publisher_id = n.publisherId;
  for (const key of VM_KEYS) msg[key] = f[key];
  if (fault && m.event === 'ERROR') (msg as VmMessage).fault = fault;
  return msg as VmMessage;
}

/** The exact text published; the publisher sends it without re-serialising. */
export function serializeMessage(msg: VmMessage): string {
  return JSON.stringify(msg);
}

/** JSON.stringify(fields): the part of the text every event of a notification shares. */
export function serializeFields(fields: VmFields): string {
  return JSON.stringify(fields);
}

/**
 * Exactly serializeMessage(toVmMessage(vimId, n, m, fields, fault)), given `fieldsJson` =
 * serializeFields(fields), without building the message object: JSON.stringify writes an
 * object as its members in key order, so the envelope's members go in front of the fields'
 * and the fault (ERROR only) after them.
 */
export function vmMessageJson(vimId: string, n: Notification, m: Match, fieldsJson: string, fault?: Fault): string {
  if (!isInstanceState(m.event)) {
    throw new RelayError(
      'UNMAPPABLE',
      `${n.eventType}: ${m.event} is a compute-node event; it is published as the compute-node message, not the VM message.`,
    );
  }
  const q = JSON.stringify;
  return (
    `{"vim_id":${q(vimId)},"event":${q(m.event)},"event_type":${q(n.eventType)},"message_id":${q(n.messageId)},` +
    `"timestamp":${q(n.timestamp)},"publisher_id":${q(n.publisherId)},` +
    (fault && m.event === 'ERROR' ? `${fieldsJson.slice(1, -1)},"fault":${q(fault)}}` : fieldsJson.slice(1))
  );
}
