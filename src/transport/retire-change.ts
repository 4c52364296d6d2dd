/**
 * Retiring what a changed VIM no longer reads (a PUT that changes its queue, exchange, topics,
 * priorities or broker), after its new listener has started:
 *  - a queue it still reads (same broker, same name) keeps its backlog; only the bindings the
 *    new settings no longer make (a dropped topic or priority, the old exchange) are removed;
 *  - a queue it no longer reads is unbound, then its backlog (what nova sent before the change,
 *    and what the old listener requeued when it stopped) is moved into the queue the VIM now
 *    reads, each message acked only once the broker confirmed its copy (at-least-once, like a
 *    shovel), and the queue is deleted once it is empty and nobody consumes it (other replicas
 *    stop their old listener when they see the change); its dead-letter queue likewise when
 *    empty, else it stays with what it holds.
 * The new listener then relays the moved messages like any other: "requeued in its durable
 * queue, not lost" holds across the change.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { RelayError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { closeQuietly, connectVimBroker, errorText } from './amqp091/connect.js';
import { copyProperties, originalRoutingKey, RELAY_HEADERS } from './amqp091/dead-letter.js';
import { declareTopology } from './amqp091/topology.js';
import { declaresOwnQueue } from './amqp10/declare.js';
import { DEFAULT_TRANSPORT_OPTIONS } from './options.js';
import { keptFor, onChannel, retirableQueues, sameBroker, unbindAll, type RetireOptions } from './retire.js';
import { routingKeys } from './routing.js';
import { parseTransportUrl, redactTransportUrl, TransportUrlError, type TransportUrl } from './transport-url.js';
import type { ListenerSpec as VimConfig } from './types.js';

/** Header naming the queue a moved message came from. */
export const MOVED_FROM_HEADER = 'x-relay-moved-from';
/** Header naming the move that copied it (one per retire), which tells a move into the same queue. */
const MOVE_ID_HEADER = 'x-relay-move-id';
/** Messages taken (basic.get) before their copies' confirms are awaited. */
const MOVE_BATCH = 200;
const EMPTY_POLL_MS = 100;
/** A quorum queue counts our own basic.get as a consumer until its ack is applied: wait that long at least. */
const OWN_SETTLE_MS = 2000;

export interface ChangeRetired {
  readonly queue: string;
  /** Routing keys unbound from the old exchange. */
  readonly unbound: readonly string[];
  /** Messages moved into `movedTo`. */
  readonly moved: number;
  readonly movedTo?: string;
  /** The old queue was deleted (empty, no consumer). */
  readonly deleted: boolean;
}

function parsedOrUndefined(url: string): TransportUrl | undefined {
  try {
    return parseTransportUrl(url);
  } catch (e) {
    if (e instanceof TransportUrlError) return undefined;
    throw e;
  }
}

/** The queue the changed VIM reads on its broker, where the old backlog goes; undefined: none of the relay's. */
function targetQueue(next: VimConfig, url: TransportUrl): string | undefined {
  if (url.kind === 'amqp091' || declaresOwnQueue(next)) return next.queue;
  return undefined;
}

function connect(url: TransportUrl, vim: VimConfig, opts: RetireOptions, log: Logger): Promise<ChannelModel> {
  return connectVimBroker(url, opts.transport ?? DEFAULT_TRANSPORT_OPTIONS, vim.id, (err) =>
    log.warn('connection error while retiring the old queue', { reason: errorText(err) }),
  );
}

/** Retires what `old` read and `next` does not; see the file comment. Empty when nothing changed. */
export async function retireChange(
  old: VimConfig,
  next: VimConfig,
  opts: RetireOptions,
  logger: Logger,
): Promise<ChangeRetired[]> {
  const oldUrl = parsedOrUndefined(old.transportUrl);
  // A stored URL that no longer parses (an older version checked less) never had a listener.
  if (!oldUrl) return [];
  const nextUrl = parseTransportUrl(next.transportUrl);
  const queues = retirableQueues(old, oldUrl);
  if (queues.length === 0) return [];
  const same = sameBroker(oldUrl, nextUrl);
  const stillRead = same ? new Set(retirableQueues(next, nextUrl)) : new Set<string>();
  const nextKeys = new Set(same && next.exchange === old.exchange ? routingKeys(next) : []);
  const dropped = routingKeys(old).filter((k) => !nextKeys.has(k));
  const gone = queues.filter((q) => !stillRead.has(q));
  if (dropped.length === 0 && gone.length === 0) return [];
  const log = logger.child({ vim: old.id, url: redactTransportUrl(old.transportUrl) });
  const model = await connect(oldUrl, old, opts, log);
  try {
    const retired: ChangeRetired[] = [];
    for (const queue of queues) {
      if (stillRead.has(queue)) {
        if (dropped.length === 0) continue;
        await unbindAll(model, queue, old.exchange, dropped);
        log.info('bindings the changed VIM no longer makes removed', {
          queue,
          exchange: old.exchange,
          routingKeys: dropped,
        });
        retired.push({ queue, unbound: dropped, moved: 0, deleted: false });
        continue;
      }
      retired.push(await retireMovedQueue(model, queue, { old, oldUrl }, { next, nextUrl, same }, opts, log));
    }
    // The old dead-letter queue goes with its queue (it is that queue's dead-letter target).
    const ownDlq = oldUrl.kind === 'amqp091' || declaresOwnQueue(old);
    const oldQueueGone = retired.some((r) => gone.includes(r.queue) && r.deleted);
    const dlqStillUsed = same && next.deadLetterQueue === old.deadLetterQueue;
    if (ownDlq && oldQueueGone && !dlqStillUsed) await deleteIfEmpty(model, old.deadLetterQueue, log);
    return retired;
  } finally {
    await closeQuietly(model);
  }
}

interface MoveTarget {
  readonly next: VimConfig;
  readonly nextUrl: TransportUrl;
  readonly same: boolean;
}

/** Unbinds `queue`, moves its backlog into the changed VIM's queue, deletes it once empty and unused. */
async function retireMovedQueue(
  model: ChannelModel,
  queue: string,
  { old, oldUrl }: { old: VimConfig; oldUrl: TransportUrl },
  to: MoveTarget,
  opts: RetireOptions,
  log: Logger,
): Promise<ChangeRetired> {
  const unbound = routingKeys(old);
  if (await keptFor(model, queue, oldUrl, opts, log)) return { queue, unbound: [], moved: 0, deleted: false };
  await unbindAll(model, queue, old.exchange, unbound);
  if ((await onChannel(model, (ch) => ch.checkQueue(queue))) === undefined)
    return { queue, unbound, moved: 0, deleted: false };
  const target = targetQueue(to.next, to.nextUrl);
  if (target === undefined) {
    const left = await onChannel(model, async (ch) => (await ch.checkQueue(queue)).messageCount);
    log.warn(
      'the changed VIM reads no queue of the relay; the old queue is unbound and keeps its backlog (move it with a shovel, or delete it)',
      { queue, messages: left },
    );
    return { queue, unbound, moved: 0, deleted: false };
  }
  const dest = to.same ? model : await connect(to.nextUrl, to.next, opts, log);
  try {
    // What the new listener declares anyway; declared here so the copies have somewhere to go.
    await declareTopology(dest, to.next);
    const { moved, deleted } = await drainInto(model, queue, dest, target, opts.othersGoneWithinMs ?? 0, () =>
      keptFor(model, queue, oldUrl, opts, log),
    );
    log.info(
      deleted
        ? 'old queue retired: unbound, its backlog moved to the queue the VIM now reads, deleted'
        : 'old queue unbound and its backlog moved, but it still has consumers or messages; left in place',
      { queue, exchange: old.exchange, routingKeys: unbound, moved, movedTo: target },
    );
    return { queue, unbound, moved, movedTo: target, deleted };
  } finally {
    if (dest !== model) await closeQuietly(dest);
  }
}

/**
 * Moves `queue`'s messages into `target` (basic.get, publish with confirm, then ack) until it is
 * empty with no consumer, then deletes it; gives up deleting after `othersGoneWithinMs` (at
 * least OWN_SETTLE_MS) of consumers or new messages, leaving it unbound. Quorum queues refuse
 * `if-empty`/`if-unused` (540, which closes the connection), so emptiness is checked just before
 * an unconditional delete; the queue is unbound by then and nobody consumes it, so nothing can
 * arrive in between. A copy that comes back (its move id is this move's) means `target` is
 * `queue` itself, reached at another address of the same broker: nothing to move or delete.
 */
async function drainInto(
  src: ChannelModel,
  queue: string,
  dest: ChannelModel,
  target: string,
  othersGoneWithinMs: number,
  kept: () => Promise<boolean>,
): Promise<{ moved: number; deleted: boolean }> {
  const get = await src.createChannel();
  get.on('error', () => undefined);
  const put = await dest.createConfirmChannel();
  put.on('error', () => undefined);
  let returned = 0;
  put.on('return', () => returned++);
  const move = { id: randomUUID(), from: queue, target, returned: () => returned };
  let moved = 0;
  const until = Date.now() + Math.max(othersGoneWithinMs, OWN_SETTLE_MS);
  try {
    for (;;) {
      const batch = await takeBatch(get, queue);
      if (batch.some((m) => m.properties.headers?.[MOVE_ID_HEADER] === move.id)) {
        get.nack(batch[batch.length - 1], true, true);
        return { moved: 0, deleted: false };
      }
      if (batch.length > 0) {
        await copyAll(put, batch, move);
        get.ack(batch[batch.length - 1], true);
        moved += batch.length;
        continue;
      }
      const q = await get.checkQueue(queue);
      if (q.messageCount === 0 && q.consumerCount === 0) {
        if (await kept()) return { moved, deleted: false };
        await onChannel(src, (ch) => ch.deleteQueue(queue));
        return { moved, deleted: true };
      }
      if (Date.now() >= until) return { moved, deleted: false };
      await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_MS));
    }
  } finally {
    await closeQuietly(put);
    await closeQuietly(get);
  }
}

async function takeBatch(get: Channel, queue: string): Promise<GetMessage[]> {
  const batch: GetMessage[] = [];
  while (batch.length < MOVE_BATCH) {
    const m = await get.get(queue, { noAck: false });
    if (!m) break;
    batch.push(m);
  }
  return batch;
}

interface Move {
  readonly id: string;
  readonly from: string;
  readonly target: string;
  readonly returned: () => number;
}

async function copyAll(put: ConfirmChannel, batch: readonly GetMessage[], move: Move): Promise<void> {
  const before = move.returned();
  for (const m of batch) {
    put.sendToQueue(
      move.target,
      m.content,
      copyProperties(m, {
        [RELAY_HEADERS.routingKey]: originalRoutingKey(m),
        [MOVED_FROM_HEADER]: move.from,
        [MOVE_ID_HEADER]: move.id,
      }),
    );
  }
  await put.waitForConfirms();
  if (move.returned() !== before) {
    throw new RelayError(
      'BROKER_REFUSED',
      `queue "${move.target}" took no copy (it does not exist); the old queue "${move.from}" keeps its messages`,
    );
  }
}

/** Deletes a queue nobody reads any more when it is empty; else leaves it, saying what it holds. */
async function deleteIfEmpty(model: ChannelModel, queue: string, log: Logger): Promise<void> {
  const q = await onChannel(model, (ch) => ch.checkQueue(queue));
  if (!q) return;
  if (q.messageCount === 0 && q.consumerCount === 0) {
    await onChannel(model, (ch) => ch.deleteQueue(queue));
    log.info('old dead-letter queue deleted (empty)', { queue });
    return;
  }
  log.warn('the old dead-letter queue keeps what it holds; nothing reads it any more (inspect, then delete it)', {
    queue,
    messages: q.messageCount,
  });
}
