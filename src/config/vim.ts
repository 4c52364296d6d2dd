/** A VIM as configured (README "VIMs"), with defaults applied by applyVimDefaults. */
import type { ListenerSpec, QueueType } from '../transport/types.js';

export type { QueueType };

export interface VimSpec {
  readonly id: string;
  readonly transportUrl: string;
  readonly exchange?: string;
  readonly exchangeDurable?: boolean;
  readonly topics?: readonly string[];
  readonly priorities?: readonly string[];
  readonly queue?: string;
  readonly deadLetterQueue?: string;
  readonly queueType?: QueueType;
  readonly deliveryLimit?: number;
  readonly singleActiveConsumer?: boolean;
  readonly maxLength?: number;
  readonly addresses?: readonly string[];
}

/** A VIM with its defaults applied: what the transport listens with (ListenerSpec), nothing more. */
export type VimConfig = ListenerSpec;

export const VIM_ID_PATTERN = /^[0-9a-zA-Z_-]{1,64}$/;

/** 20 is RabbitMQ 4's own default, and what oslo's rabbit_quorum_delivery_limit is usually set to. */
export const DEFAULT_DELIVERY_LIMIT = 20;

/**
 * The defaults of a VIM's optional keys, in one place (schemas/vim.schema.json states the same
 * `default`s for the API's readers; test/unit/config/vim.test.ts keeps the two equal).
 */
export const VIM_DEFAULTS = {
  exchange: 'nova',
  exchangeDurable: false,
  topics: ['notifications', 'versioned_notifications'],
  priorities: ['info', 'error'],
  queueType: 'quorum',
  deliveryLimit: DEFAULT_DELIVERY_LIMIT,
  singleActiveConsumer: false,
  maxLength: 0,
  addresses: [],
} as const satisfies Partial<Record<keyof VimSpec, unknown>>;

export function applyVimDefaults(v: VimSpec): VimConfig {
  const queue = v.queue ?? `vim-event-relay.${v.id}`;
  return {
    id: v.id,
    transportUrl: v.transportUrl,
    exchange: v.exchange ?? VIM_DEFAULTS.exchange,
    exchangeDurable: v.exchangeDurable ?? VIM_DEFAULTS.exchangeDurable,
    topics: v.topics ?? VIM_DEFAULTS.topics,
    priorities: v.priorities ?? VIM_DEFAULTS.priorities,
    queue,
    deadLetterQueue: v.deadLetterQueue ?? `${queue}.dead`,
    queueType: v.queueType ?? VIM_DEFAULTS.queueType,
    deliveryLimit: v.deliveryLimit ?? VIM_DEFAULTS.deliveryLimit,
    singleActiveConsumer: v.singleActiveConsumer ?? VIM_DEFAULTS.singleActiveConsumer,
    maxLength: v.maxLength ?? VIM_DEFAULTS.maxLength,
    addresses: v.addresses ?? VIM_DEFAULTS.addresses,
  };
}

// Defined by the transport (which must not import config); re-exported for config's callers.
export { routingKeys, defaultAmqp10Addresses } from '../transport/routing.js';
