/** A nova notification, parsed from whatever envelope carried it. Pure data. */
export type NotificationFormat = 'legacy' | 'versioned';

/** The event types of nova's legacy instance notifications begin with this; the versioned ones with VERSIONED_PREFIX. */
export const LEGACY_PREFIX = 'compute.instance.';
export const VERSIONED_PREFIX = 'instance.';

export interface Notification {
  /** oslo message_id; when the body had none, a stable sha-256 of the body (so redeliveries keep it). */
  readonly messageId: string;
  /** e.g. `compute.instance.power_off.end` (legacy) or `instance.power_off.end` (versioned). */
  readonly eventType: string;
  /** Upper case: INFO, ERROR, WARN, ... ("" when the body had none, as in trimmed samples). */
  readonly priority: string;
  /** e.g. `compute.host1` (legacy) or `nova-compute:host1` (versioned). */
  readonly publisherId: string;
  /** ISO 8601 UTC with `Z` (e.g. `2016-03-31T14:44:15.671326Z`); "" when the body had none. */
  readonly timestamp: string;
  /** legacy: the payload dict; versioned: the nova_object wrapper ({"nova_object.name", "nova_object.data", ...}). */
  readonly payload: Record<string, unknown>;
  /** versioned when the payload is a nova_object (has `nova_object.data`). */
  readonly format: NotificationFormat;
}
