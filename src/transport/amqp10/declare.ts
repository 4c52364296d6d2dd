/**
 * Declaring an AMQP 1.0 VIM's queues on RabbitMQ. RabbitMQ 3.x cannot declare a durable queue
 * over AMQP 1.0 (its `/amq/queue/<q>` address only reaches an existing queue), but its AMQP 1.0
 * plugin shares the listener with 0-9-1: the same host and port take a 0-9-1 connection. So
 * when the VIM's addresses name the VIM's own `queue` (`/amq/queue/<queue>`, `/queue/<queue>`,
 * or 4.x's `/queues/<queue>`), the relay declares that queue, its dead-letter queue, the
 * exchange when missing and the bindings exactly as for a 0-9-1 VIM (queueType,
 * deliveryLimit, singleActiveConsumer, maxLength; an existing queue is used as it is).
 * Queues the addresses name other than the VIM's own are the operator's and left alone, and
 * routable addresses (qpid-dispatch-router) have nothing to declare.
 *
 * To be called before the receivers attach, on every (re)connect, like declareTopology.
 */
import type { ListenerSpec as VimConfig } from '../types.js';
import type { Logger } from '../../util/logger.js';
import { closeQuietly, connectOnce } from '../amqp091/connect.js';
import { declareTopology, type TopologyState } from '../amqp091/topology.js';
import type { TransportOptions } from '../options.js';
import { parseTransportUrl } from '../transport-url.js';
import { retirableQueues } from '../retire.js';

/** Whether the VIM's 1.0 addresses read its own queue from RabbitMQ (so the relay declares it). */
export function declaresOwnQueue(vim: VimConfig): boolean {
  const url = parseTransportUrl(vim.transportUrl);
  return url.kind === 'amqp10' && retirableQueues(vim, url).includes(vim.queue);
}

/**
 * Declares the VIM's topology over 0-9-1 on the first host of the URL that answers (the same
 * hosts the 1.0 listener fails over between); undefined when there is nothing to declare.
 * Throws BROKER_UNREACHABLE / BROKER_REFUSED like the 0-9-1 listener's declarations.
 */
export async function declareAmqp10Topology(
  vim: VimConfig,
  opts: TransportOptions,
  log?: Logger,
  hostIndex = 0,
): Promise<TopologyState | undefined> {
  if (!declaresOwnQueue(vim)) return undefined;
  const url = parseTransportUrl(vim.transportUrl);
  const model = await connectOnce({ ...url, kind: 'amqp091' }, opts, vim.id, hostIndex);
  model.on('error', () => undefined);
  try {
    return await declareTopology(model, vim, log);
  } finally {
    await closeQuietly(model);
  }
}
