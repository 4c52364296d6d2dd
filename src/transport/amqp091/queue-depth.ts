/**
 * A VIM's backlog as its broker counts it: the messages and consumers of its queue and of its
 * dead-letter queue, read by a passive declare (queue.declare passive=true needs no permission)
 * on a short connection of its own, so that the numbers do not depend on the broker's own
 * exporter, which a VIO broker run by another team may not offer. AMQP 1.0 VIMs on RabbitMQ are
 * read over 0-9-1 on the same hosts, as retire.ts does.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { ListenerSpec as VimConfig } from '../types.js';
import type { TransportOptions } from '../options.js';
import { parseTransportUrl } from '../transport-url.js';
import { closeQuietly, connectVimBroker } from './connect.js';
import { replyCode } from './topology.js';

export interface QueueDepth {
  readonly messages: number;
  readonly consumers: number;
}

export interface VimBacklog {
  /** null when the queue does not exist (yet). */
  readonly queue: QueueDepth | null;
  readonly deadLetterQueue: QueueDepth | null;
  /** ISO 8601, when it was read. */
  readonly readAt: string;
}

async function depth(model: ChannelModel, name: string): Promise<QueueDepth | null> {
  // A 404 closes the channel: one channel per look.
  const ch: Channel = await model.createChannel();
  ch.on('error', () => undefined);
  try {
    const q = await ch.checkQueue(name);
    return { messages: q.messageCount, consumers: q.consumerCount };
  } catch (err) {
    if (replyCode(err) === 404) return null;
    throw err;
  } finally {
    await closeQuietly(ch);
  }
}

/** Reads both queues of a VIM; throws when its broker cannot be reached. */
export async function readBacklog(vim: VimConfig, transport: TransportOptions): Promise<VimBacklog> {
  const model = await connectVimBroker(parseTransportUrl(vim.transportUrl), transport, vim.id, () => undefined);
  try {
    return {
      queue: await depth(model, vim.queue),
      deadLetterQueue: await depth(model, vim.deadLetterQueue),
      readAt: new Date().toISOString(),
    };
  } finally {
    await closeQuietly(model);
  }
}
