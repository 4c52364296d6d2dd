/** Notification + match -> the VM message of CONTRACT section 5. Pure. */
import { RelayError, isRelayError } from '../errors.js';
import type { InstanceState, Match } from '../filter/types.js';
import { INSTANCE_STATES } from '../filter/types.js';
import type { Notification } from '../notifications/types.js';
import { fromLegacy } from './legacy.js';
import { fromVersioned } from './versioned.js';
import type { VmFields } from './vm-fields.js';

export interface VmEnvelope {
  vim_id: string;
  event: InstanceState;
  event_type: string;
  message_id: string;
  /** ISO 8601 UTC with `Z`; "" when the notification carried none. */
  timestamp: string;
  publisher_id: string;
}

export type VmMessage = VmEnvelope & VmFields;

export const ENVELOPE_KEYS: readonly (keyof VmEnvelope)[] = ['vim_id', 'event', 'event_type', 'message_id', 'timestamp', 'publisher_id'];

const INSTANCE_STATE_SET = new Set<string>(INSTANCE_STATES);

function isInstanceState(s: string): s is InstanceState {
  return INSTANCE_STATE_SET.has(s);
}

/**
 * Throws RelayError('UNMAPPABLE') when the payload is not an instance payload or a field
 * has a type nova never sends; the message names the field and the event type.
 */
export function toVmMessage(vimId: string, n: Notification, m: Match): VmMessage {
  if (!isInstanceState(m.event)) {
    throw new RelayError('UNMAPPABLE', `${n.eventType}: ${m.event} is a compute-node event; it is published as the compute-node message, not the VM message.`);
  }
  let fields: VmFields;
  try {
    fields = n.format === 'versioned' ? fromVersioned(n.payload) : fromLegacy(n.payload);
  } catch (e) {
    if (isRelayError(e)) throw new RelayError(e.code, `${n.eventType}: ${e.message}`, { cause: e });
    throw e;
  }
  return {
    vim_id: vimId,
    event: m.event,
    event_type: n.eventType,
    message_id: n.messageId,
    timestamp: n.timestamp,
    publisher_id: n.publisherId,
    ...fields,
  };
}

/** The exact text published; the publisher sends it without re-serialising. */
export function serializeMessage(msg: VmMessage): string {
  return JSON.stringify(msg);
}
