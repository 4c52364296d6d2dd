/** Where a VIM's notifications are read from, derived from its topics and priorities. Pure. */
import type { ListenerSpec } from './types.js';

type Routed = Pick<ListenerSpec, 'topics' | 'priorities'>;

/** `<topic>.<priority>` for every pair: the routing keys (0-9-1) nova's notifier uses. */
export function routingKeys(v: Routed): string[] {
  return v.topics.flatMap((t) => v.priorities.map((p) => `${t}.${p.toLowerCase()}`));
}

/** oslo's routable AMQP 1.0 notification addresses (amqp1 driver, "routable" addressing). */
export function defaultAmqp10Addresses(v: Routed & Pick<ListenerSpec, 'exchange'>): string[] {
  return routingKeys(v).map((k) => `openstack.org/om/notify/anycast/${v.exchange}/${k}`);
}
