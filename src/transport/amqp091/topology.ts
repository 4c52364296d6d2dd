/**
 * What the relay declares on a VIM's broker, on every (re)connect: the control exchange only
 * if it is absent, the relay's own durable queue and dead-letter queue, and the bindings.
 * Declarations run on short-lived channels, because RabbitMQ answers a refused declaration
 * by closing the channel: a refusal must not take the consumer down with it.
 *
 * A queue that already exists is used as it is, whatever its type and arguments (a classic
 * queue left by an older version, a queue an operator declared): the relay declares with its
 * own arguments, and on a 406 inequivalent-arg answer learns the existing queue's arguments
 * from the broker's answers (queue-args.ts) and declares with those, which changes nothing.
 * A passive declare first would not do: it cannot tell the type, and the 406 is needed anyway.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { routingKeys } from '../routing.js';
import type { ListenerSpec as VimConfig } from '../types.js';
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { closeQuietly, errorText } from './connect.js';
import {
  adopt,
  deadLetterQueueArguments,
  parseInequivalence,
  QUEUE_FLAGS,
  queueArguments,
  typeOf,
  type QueueArgs,
} from './queue-args.js';

/** The AMQP reply code carried by an amqplib channel/connection error, if any. */
export function replyCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

async function withChannel<T>(model: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  // amqplib emits 'error' for a server-side channel close and also rejects the pending RPC
  // with the same error; the rejection is what we act on, the event only must not crash us.
  ch.on('error', () => undefined);
  try {
    return await fn(ch);
  } finally {
    await closeQuietly(ch);
  }
}

/** Turns a broker refusal into BROKER_REFUSED with the fix; other errors pass through. */
export function refusal(err: unknown, vim: VimConfig, step: string): unknown {
  const code = replyCode(err);
  const broker = errorText(err);
  let fix: string | undefined;
  if (code === 406) {
    fix = step.startsWith('declare exchange')
      ? `exchange "${vim.exchange}" was declared meanwhile with other flags; set exchangeDurable to match nova's amqp_durable_queues`
      : `it already exists non-durable, exclusive or auto-delete; delete it (rabbitmqctl delete_queue) or configure another queue name`;
  } else if (code === 403) {
    fix = `the broker user lacks permission; grant configure/write/read on "${vim.queue}", "${vim.deadLetterQueue}" and read on "${vim.exchange}" (rabbitmqctl set_permissions)`;
  } else if (code === 404) {
    fix = `exchange "${vim.exchange}" disappeared while binding; it is re-declared on the next attempt`;
  }
  if (fix === undefined) return err;
  return new RelayError('BROKER_REFUSED', `the broker refused to ${step}: ${fix} (broker said: ${broker})`, {
    cause: err,
  });
}

async function step<T>(vim: VimConfig, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw refusal(err, vim, what);
  }
}

/**
 * oslo declares the control exchange topic, durable only with amqp_durable_queues. Declaring
 * it with other flags than it already has is a 406 that kills the channel, so look first
 * (passive declare, 404 when absent) and declare only an absent exchange.
 */
async function ensureExchange(model: ChannelModel, vim: VimConfig): Promise<boolean> {
  const exists = await withChannel(model, async (ch) => {
    try {
      await ch.checkExchange(vim.exchange);
      return true;
    } catch (err) {
      if (replyCode(err) === 404) return false;
      throw refusal(err, vim, `look up exchange "${vim.exchange}"`);
    }
  });
  if (exists) return false;
  await withChannel(model, (ch) =>
    step(vim, `declare exchange "${vim.exchange}"`, () =>
      ch.assertExchange(vim.exchange, 'topic', { durable: vim.exchangeDurable, autoDelete: false }),
    ),
  );
  return true;
}

/** How a queue the relay uses turned out. */
export interface QueueState {
  readonly name: string;
  /** quorum, classic or stream: the existing queue's own when it was there already. */
  readonly type: string;
  /** Its arguments as the broker has them (ours, or the existing queue's). */
  readonly arguments: QueueArgs;
  /** false: it existed with other arguments than the VIM's settings ask for, and is used as it is. */
  readonly asConfigured: boolean;
}

export interface TopologyState {
  readonly queue: QueueState;
  readonly deadLetterQueue: QueueState;
}

/** Enough for every x-argument RabbitMQ knows; a broker that keeps answering 406 is refused. */
const MAX_PROBES = 16;

/** One declare on a throwaway channel: undefined when accepted, else the broker's refusal. */
async function tryDeclare(model: ChannelModel, name: string, args: QueueArgs): Promise<unknown> {
  return withChannel(model, async (ch) => {
    try {
      await ch.assertQueue(name, { durable: true, arguments: args });
      return undefined;
    } catch (err) {
      return err ?? new Error('declare failed');
    }
  });
}

/** Declares `name` with `wanted`, or takes the existing queue as it is (see the file comment). */
export async function ensureQueue(
  model: ChannelModel,
  vim: VimConfig,
  name: string,
  wanted: QueueArgs,
): Promise<QueueState> {
  let args = wanted;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const err = await tryDeclare(model, name, args);
    if (err === undefined) return { name, type: typeOf(args), arguments: args, asConfigured: probe === 0 };
    const said = replyCode(err) === 406 ? parseInequivalence(errorText(err), args) : undefined;
    if (!said || QUEUE_FLAGS.has(said.arg)) throw refusal(err, vim, `declare queue "${name}"`);
    args = adopt(args, said);
  }
  throw new RelayError(
    'BROKER_REFUSED',
    `the broker refused to declare queue "${name}": its arguments could not be matched after ${MAX_PROBES} attempts; delete it (rabbitmqctl delete_queue) or configure another queue name`,
  );
}

function logQueue(log: Logger | undefined, vim: VimConfig, q: QueueState): void {
  if (!log) return;
  if (q.asConfigured) {
    log.info('queue ready', { queue: q.name, queueType: q.type });
    return;
  }
  log.warn(
    'queue exists with other arguments than configured; used as it is (delete it to have it re-created as configured)',
    {
      queue: q.name,
      queueType: q.type,
      configuredType: vim.queueType,
      arguments: q.arguments,
    },
  );
}

/**
 * Declares everything the listener needs; idempotent, safe to run on every reconnect. With a
 * logger, says which type each queue has (and warns when an existing one differs from the VIM).
 */
export async function declareTopology(model: ChannelModel, vim: VimConfig, log?: Logger): Promise<TopologyState> {
  // Nobody had declared it: nova publishes elsewhere (its control_exchange) or has not started yet.
  if (await ensureExchange(model, vim))
    log?.warn(
      `exchange "${vim.exchange}" did not exist on the broker and was declared by the relay: if nova is running, it publishes its notifications to another exchange (oslo's control_exchange) and none will arrive here; see README "Nothing arrives?"`,
      { exchange: vim.exchange },
    );
  // The dead-letter queue first: the broker dead-letters into it from the relay's queue.
  const deadLetterQueue = await ensureQueue(model, vim, vim.deadLetterQueue, deadLetterQueueArguments(vim));
  // Our own queue, never the notifier's notifications.info: that one belongs to ceilometer
  // and other plain listeners, and consuming from it would steal their messages.
  const queue = await ensureQueue(model, vim, vim.queue, queueArguments(vim));
  logQueue(log, vim, deadLetterQueue);
  logQueue(log, vim, queue);
  await withChannel(model, async (ch) => {
    for (const key of routingKeys(vim)) {
      await step(vim, `bind queue "${vim.queue}" to exchange "${vim.exchange}" with "${key}"`, () =>
        ch.bindQueue(vim.queue, vim.exchange, key),
      );
    }
  });
  return { queue, deadLetterQueue };
}
