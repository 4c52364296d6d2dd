/**
 * What the relay declares on a VIM's broker, on every (re)connect: the control exchange only
 * if it is absent, the relay's own durable queue and dead-letter queue, and the bindings.
 * Declarations run on short-lived channels, because RabbitMQ answers a refused declaration
 * by closing the channel: a refusal must not take the consumer down with it.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { routingKeys } from '../routing.js';
import type { ListenerSpec as VimConfig } from '../types.js';
import { RelayError } from '../../errors.js';
import { closeQuietly, errorText } from './connect.js';

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
      : `it already exists with other flags or arguments than a plain durable queue; delete it (rabbitmqctl delete_queue) or configure another queue name`;
  } else if (code === 403) {
    fix = `the broker user lacks permission; grant configure/write/read on "${vim.queue}", "${vim.deadLetterQueue}" and read on "${vim.exchange}" (rabbitmqctl set_permissions)`;
  } else if (code === 404) {
    fix = `exchange "${vim.exchange}" disappeared while binding; it is re-declared on the next attempt`;
  }
  if (fix === undefined) return err;
  return new RelayError('BROKER_REFUSED', `the broker refused to ${step}: ${fix} (broker said: ${broker})`, { cause: err });
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
async function ensureExchange(model: ChannelModel, vim: VimConfig): Promise<void> {
  const exists = await withChannel(model, async (ch) => {
    try {
      await ch.checkExchange(vim.exchange);
      return true;
    } catch (err) {
      if (replyCode(err) === 404) return false;
      throw refusal(err, vim, `look up exchange "${vim.exchange}"`);
    }
  });
  if (exists) return;
  await withChannel(model, (ch) =>
    step(vim, `declare exchange "${vim.exchange}"`, () =>
      ch.assertExchange(vim.exchange, 'topic', { durable: vim.exchangeDurable, autoDelete: false })));
}

/** Declares everything the listener needs; idempotent, safe to run on every reconnect. */
export async function declareTopology(model: ChannelModel, vim: VimConfig): Promise<void> {
  await ensureExchange(model, vim);
  await withChannel(model, async (ch) => {
    // Our own queue, never the notifier's notifications.info: that one belongs to ceilometer
    // and other plain listeners, and consuming from it would steal their messages.
    await step(vim, `declare queue "${vim.queue}"`, () => ch.assertQueue(vim.queue, { durable: true }));
    await step(vim, `declare queue "${vim.deadLetterQueue}"`, () => ch.assertQueue(vim.deadLetterQueue, { durable: true }));
    for (const key of routingKeys(vim)) {
      await step(vim, `bind queue "${vim.queue}" to exchange "${vim.exchange}" with "${key}"`, () => ch.bindQueue(vim.queue, vim.exchange, key));
    }
  });
}
