/**
 * Retiring a deleted VIM's queue on its broker. Removing a VIM stops the relay consuming, but
 * its queue stays bound to nova's exchange and keeps filling, forever, on the OpenStack
 * broker. retireQueue opens its own short connection (the VIM's listener is gone by then) and
 *  - unbinds the queue from every routing key the VIM binds: nothing new arrives, the
 *    messages already there stay, and re-adding the VIM binds it again and resumes them;
 *  - with purge, also deletes the queue and its dead-letter queue, messages and all.
 *
 * AMQP 1.0 against RabbitMQ: the plugin speaks 1.0 on the same port as 0-9-1, and 1.0 cannot
 * unbind or delete, so the queues named by the VIM's RabbitMQ addresses (`/amq/queue/<q>`,
 * `/queue/<q>`, `/queues/<q>`) are retired over 0-9-1 on the same hosts. Routable addresses
 * (qpid-dispatch-router) are links, not queues of ours: there is nothing to retire.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { routingKeys } from './routing.js';
import type { ListenerSpec as VimConfig } from './types.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { closeQuietly, connectVimBroker, errorText } from './amqp091/connect.js';
import { replyCode } from './amqp091/topology.js';
import { addressStyle } from './amqp10/addresses.js';
import { DEFAULT_TRANSPORT_OPTIONS, type TransportOptions } from './options.js';
import { parseTransportUrl, redactTransportUrl, type TransportUrl } from './transport-url.js';

export interface RetireOptions {
  /** Delete the queue and its dead-letter queue instead of only unbinding. */
  readonly purge?: boolean;
  /**
   * How long to wait, once unbound, for the queue's consumers to leave before deleting it (or
   * unbinding it once more): other replicas stop their listener only when they see the change
   * in the store. A queue deleted under a consumer would drop what it holds unacked, and the
   * consumer would see a cancel. Default 0: do not wait.
   */
  readonly othersGoneWithinMs?: number;
  /**
   * The VIMs registered now. One that reads the queue being retired, on the same broker, was
   * added again or changed back (through another replica) while this retire waited: the retire
   * then leaves that queue bound as that VIM binds it and deletes nothing of it.
   */
  readonly registered?: () => readonly VimConfig[];
  /** Heartbeat and TLS as for the listener; reconnect settings are not used (one round of hosts). */
  readonly transport?: TransportOptions;
}

export interface RetiredQueue {
  readonly queue: string;
  /** Routing keys unbound from the exchange (all of the VIM's, whether bound or not). */
  readonly unbound: readonly string[];
  /** Messages left in it (unbind) or deleted with it (purge); undefined when it did not exist. */
  readonly messages: number | undefined;
  /** A VIM registered meanwhile reads it: left bound, nothing deleted. */
  readonly kept?: boolean;
}

export interface RetireResult {
  readonly vimId: string;
  readonly purged: boolean;
  readonly queues: readonly RetiredQueue[];
  /** With purge: messages deleted with the dead-letter queue; undefined when it did not exist. */
  readonly deadLetterMessages?: number | undefined;
}

/** The queues a VIM reads: its own (0-9-1), or those its RabbitMQ 1.0 addresses name. */
export function retirableQueues(vim: VimConfig, url: TransportUrl): string[] {
  if (url.kind === 'amqp091') return [vim.queue];
  const names = vim.addresses.flatMap((a) => {
    switch (addressStyle(a)) {
      case 'rabbitmq-v1':
        return a.startsWith('/amq/queue/')
          ? [a.slice('/amq/queue/'.length)]
          : a.startsWith('/queue/')
            ? [a.slice('/queue/'.length)]
            : [];
      case 'rabbitmq-v2':
        return a.startsWith('/queues/') ? [decodeURIComponent(a.slice('/queues/'.length))] : [];
      case 'routable':
        return [];
    }
  });
  return [...new Set(names.filter((n) => n !== ''))];
}

/** One operation on a throwaway channel (a 404 closes the channel); 404 answers undefined. */
export async function onChannel<T>(model: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T | undefined> {
  const ch = await model.createChannel();
  ch.on('error', () => undefined);
  try {
    return await fn(ch);
  } catch (err) {
    if (replyCode(err) === 404) return undefined;
    throw new RelayError(
      'BROKER_REFUSED',
      `the broker refused to retire the queue: ${errorText(err)}${replyCode(err) === 403 ? '; the broker user needs configure permission on the queue and write on the exchange' : ''}`,
      { cause: err },
    );
  } finally {
    await closeQuietly(ch);
  }
}

/**
 * Polls the queue's consumers until none is left or `withinMs` has passed; the consumers left
 * (undefined: no such queue). A quorum queue counts a consumer until what it holds is settled.
 */
export async function awaitNoConsumers(
  model: ChannelModel,
  queue: string,
  withinMs: number,
): Promise<number | undefined> {
  const until = Date.now() + withinMs;
  for (;;) {
    const consumers = await onChannel(model, async (ch) => (await ch.checkQueue(queue)).consumerCount);
    if (!consumers || Date.now() >= until) return consumers;
    await new Promise((resolve) => setTimeout(resolve, CONSUMER_POLL_MS));
  }
}

const CONSUMER_POLL_MS = 100;

/** Unbinds every one of `keys` from `exchange`; harmless for a binding, queue or exchange that is gone. */
export async function unbindAll(
  model: ChannelModel,
  queue: string,
  exchange: string,
  keys: readonly string[],
): Promise<void> {
  for (const key of keys) await onChannel(model, (ch) => ch.unbindQueue(queue, exchange, key));
}

/** Same broker: the same virtual host on at least one same host:port (a cluster's nodes). */
export function sameBroker(a: TransportUrl, b: TransportUrl): boolean {
  return (
    a.vhost === b.vhost && a.hosts.some((h) => b.hosts.some((k) => k.hostname === h.hostname && k.port === h.port))
  );
}

function readerOf(queue: string, on: TransportUrl, opts: RetireOptions): VimConfig | undefined {
  return opts.registered?.().find((v) => {
    try {
      const url = parseTransportUrl(v.transportUrl);
      return sameBroker(url, on) && retirableQueues(v, url).includes(queue);
    } catch {
      return false; // a stored URL that no longer parses reads nothing
    }
  });
}

/**
 * true when a VIM registered now reads `queue` on broker `on` (opts.registered): its bindings
 * are put back (an unbind of ours may have come after its listener bound them) and the queue is
 * kept.
 */
export async function keptFor(
  model: ChannelModel,
  queue: string,
  on: TransportUrl,
  opts: RetireOptions,
  log: Logger,
): Promise<boolean> {
  const owner = readerOf(queue, on, opts);
  if (!owner) return false;
  for (const key of routingKeys(owner)) await onChannel(model, (ch) => ch.bindQueue(queue, owner.exchange, key));
  log.info('a VIM registered meanwhile reads this queue; it stays, bound as that VIM binds it', {
    queue,
    vim: owner.id,
  });
  return true;
}

async function retireOne(
  model: ChannelModel,
  vim: VimConfig,
  on: TransportUrl,
  queue: string,
  opts: RetireOptions,
  log: Logger,
): Promise<RetiredQueue> {
  const keys = routingKeys(vim);
  const kept = async (): Promise<RetiredQueue> => ({
    queue,
    unbound: [],
    messages: await countOf(model, queue),
    kept: true,
  });
  if (await keptFor(model, queue, on, opts, log)) return kept();
  // Unbind first even when purging: no notification is routed to a queue that is going away.
  await unbindAll(model, queue, vim.exchange, keys);
  // Other replicas consume until they see the removal: deleted under them, what they hold would
  // be lost and their cancel would look like an operator's mistake; and a replica that
  // reconnected meanwhile bound the queue again, hence the second unbind.
  const consumers = await awaitNoConsumers(model, queue, opts.othersGoneWithinMs ?? 0);
  if (consumers)
    log.warn('the queue still has consumers (replicas that have not stopped this VIM)', { queue, consumers });
  if (await keptFor(model, queue, on, opts, log)) return kept();
  await unbindAll(model, queue, vim.exchange, keys);
  if (opts.purge === true) {
    const deleted = await onChannel(model, async (ch) => {
      await ch.checkQueue(queue);
      return (await ch.deleteQueue(queue)).messageCount;
    });
    return { queue, unbound: keys, messages: deleted };
  }
  return { queue, unbound: keys, messages: await countOf(model, queue) };
}

function countOf(model: ChannelModel, queue: string): Promise<number | undefined> {
  return onChannel(model, async (ch) => (await ch.checkQueue(queue)).messageCount);
}

/** Unbinds (or with purge deletes) a VIM's queue on its broker; see the file comment. */
export async function retireQueue(vim: VimConfig, opts: RetireOptions, logger: Logger): Promise<RetireResult> {
  const parsed = parseTransportUrl(vim.transportUrl);
  const queues = retirableQueues(vim, parsed);
  const log = logger.child({ vim: vim.id, url: redactTransportUrl(vim.transportUrl) });
  if (queues.length === 0) {
    log.info('nothing to retire: the VIM reads routable AMQP 1.0 addresses, no queue of its own');
    return { vimId: vim.id, purged: false, queues: [] };
  }
  const purge = opts.purge === true;
  const model = await connectVimBroker(parsed, opts.transport ?? DEFAULT_TRANSPORT_OPTIONS, vim.id, (err) =>
    log.warn('connection error while retiring the queue', { reason: errorText(err) }),
  );
  try {
    const retired: RetiredQueue[] = [];
    for (const queue of queues) retired.push(await retireOne(model, vim, parsed, queue, opts, log));
    let deadLetterMessages: number | undefined;
    if (purge && !retired.some((r) => r.kept === true)) {
      deadLetterMessages = await onChannel(model, async (ch) => {
        await ch.checkQueue(vim.deadLetterQueue);
        return (await ch.deleteQueue(vim.deadLetterQueue)).messageCount;
      });
    }
    for (const r of retired.filter((q) => q.kept !== true)) {
      log.info(
        purge
          ? 'queue retired: unbound and deleted'
          : 'queue retired: unbound, messages kept until the VIM is added again or the queue is purged',
        {
          queue: r.queue,
          exchange: vim.exchange,
          routingKeys: r.unbound,
          messages: r.messages,
          ...(purge ? { deadLetterQueue: vim.deadLetterQueue, deadLetterMessages } : {}),
        },
      );
    }
    return { vimId: vim.id, purged: purge, queues: retired, ...(purge ? { deadLetterMessages } : {}) };
  } finally {
    await closeQuietly(model);
  }
}
