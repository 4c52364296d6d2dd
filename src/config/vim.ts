/** A VIM as configured (README "VIMs"), with defaults applied by applyVimDefaults. */
export interface VimSpec {
  readonly id: string;
  readonly transportUrl: string;
  readonly exchange?: string;
  readonly exchangeDurable?: boolean;
  readonly topics?: readonly string[];
  readonly priorities?: readonly string[];
  readonly queue?: string;
  readonly deadLetterQueue?: string;
  readonly addresses?: readonly string[];
}

export interface VimConfig {
  readonly id: string;
  readonly transportUrl: string;
  readonly exchange: string;
  readonly exchangeDurable: boolean;
  readonly topics: readonly string[];
  readonly priorities: readonly string[];
  readonly queue: string;
  readonly deadLetterQueue: string;
  /** AMQP 1.0 only; empty = oslo's routable notification addresses. */
  readonly addresses: readonly string[];
}

export const VIM_ID_PATTERN = /^[0-9a-zA-Z_-]{1,64}$/;

export function applyVimDefaults(v: VimSpec): VimConfig {
  const exchange = v.exchange ?? 'nova';
  const topics = v.topics ?? ['notifications', 'versioned_notifications'];
  const priorities = v.priorities ?? ['info', 'error'];
  const queue = v.queue ?? `vim-event-relay.${v.id}`;
  return {
    id: v.id,
    transportUrl: v.transportUrl,
    exchange,
    exchangeDurable: v.exchangeDurable ?? false,
    topics,
    priorities,
    queue,
    deadLetterQueue: v.deadLetterQueue ?? `${queue}.dead`,
    addresses: v.addresses ?? [],
  };
}

/** `<topic>.<priority>` for every pair: the routing keys (0-9-1) nova's notifier uses. */
export function routingKeys(v: VimConfig): string[] {
  return v.topics.flatMap((t) => v.priorities.map((p) => `${t}.${p.toLowerCase()}`));
}

/** oslo's routable AMQP 1.0 notification addresses (amqp1 driver, "routable" addressing). */
export function defaultAmqp10Addresses(v: VimConfig): string[] {
  return routingKeys(v).map((k) => `openstack.org/om/notify/anycast/${v.exchange}/${k}`);
}
