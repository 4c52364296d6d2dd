/**
 * Which AMQP 1.0 addresses a VIM is read from, and where its dead letters go. Pure: no I/O.
 *
 * RabbitMQ's addresses name queues (3.x "v1": `/amq/queue/<q>`, `/queue/<q>`; 4.x "v2":
 * `/queues/<q>`); anything else is a routable address for qpid-dispatch-router and friends
 * (oslo's `openstack.org/om/notify/anycast/<exchange>/<topic>.<priority>`).
 */
import { defaultAmqp10Addresses } from '../routing.js';
import type { ListenerSpec } from '../types.js';

export type AddressStyle = 'rabbitmq-v1' | 'rabbitmq-v2' | 'routable';

const V1_PREFIXES = ['/amq/queue/', '/queue/', '/exchange/', '/topic/'];
const V2_PREFIXES = ['/queues/', '/exchanges/'];

export function addressStyle(address: string): AddressStyle {
  if (V2_PREFIXES.some((p) => address.startsWith(p))) return 'rabbitmq-v2';
  if (V1_PREFIXES.some((p) => address.startsWith(p))) return 'rabbitmq-v1';
  return 'routable';
}

/** The VIM's configured addresses, or oslo's routable notification addresses when none. */
export function sourceAddresses(vim: Pick<ListenerSpec, 'addresses' | 'topics' | 'priorities' | 'exchange'>): string[] {
  const configured = vim.addresses.filter((a) => a.trim() !== '');
  const addresses = configured.length > 0 ? configured : defaultAmqp10Addresses(vim);
  return [...new Set(addresses)];
}

/**
 * The address to copy a dead letter to, in the same dialect as the address it came from, or
 * undefined when the broker is not RabbitMQ (then the relay rejects and the broker decides).
 * 3.x: `/amq/queue/<q>` only reaches an existing queue, never declares one; 4.x: `/queues/<q>`
 * with the name percent-encoded, as its v2 address format requires.
 */
export function deadLetterAddress(source: string, deadLetterQueue: string): string | undefined {
  switch (addressStyle(source)) {
    case 'rabbitmq-v1':
      return `/amq/queue/${deadLetterQueue}`;
    case 'rabbitmq-v2':
      return `/queues/${encodeURIComponent(deadLetterQueue)}`;
    case 'routable':
      return undefined;
  }
}
