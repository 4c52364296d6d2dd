/**
 * The bench's side of RabbitMQ: pre-queue notifications exactly where the relay will read
 * them, publish at a steady rate with the publish time in each message_id, and the
 * consume-and-ack-only limit (amqplib with no processing at all).
 */
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Corpus, Template } from './corpus.js';
import { OSLO_PUBLISH_OPTIONS } from '../test/helpers/fixtures.js';

/** The bindings the relay makes (config/vim.ts defaults): every `<topic>.<priority>`. */
export const ROUTING_KEYS = [
  'notifications.info',
  'notifications.error',
  'versioned_notifications.info',
  'versioned_notifications.error',
];

/** Nagle off, as py-amqp (under oslo.messaging) sets it; amqplib leaves it on, which held the bench's publishes ~15 ms. */
export async function open(url: string): Promise<ChannelModel> {
  const model = await connect(url, { noDelay: true });
  model.on('error', () => undefined);
  return model;
}

export async function withModel<T>(url: string, fn: (m: ChannelModel) => Promise<T>): Promise<T> {
  const model = await open(url);
  try {
    return await fn(model);
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** The exchange as oslo declares it (topic, not durable). */
export function declareExchange(url: string, exchange: string): Promise<void> {
  return withModel(url, async (m) => {
    const ch = await m.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: false });
  });
}

/** The relay's own queue, declared as the relay does (durable, no arguments), and bound. */
export function declareQueue(url: string, exchange: string, queue: string): Promise<void> {
  return withModel(url, async (m) => {
    const ch = await m.createChannel();
    await ch.assertQueue(queue, { durable: true });
    for (const key of ROUTING_KEYS) await ch.bindQueue(queue, exchange, key);
  });
}

export function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  return withModel(url, async (m) => {
    for (const q of queues) {
      const ch = await m.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  });
}

export function deleteExchange(url: string, exchange: string): Promise<void> {
  return withModel(url, async (m) => {
    const ch = await m.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteExchange(exchange).catch(() => undefined);
  });
}

/** Resolves when the socket drains; rejects if the channel closes first (the broker went away), instead of waiting forever. */
function drained(ch: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void =>
      reject(
        new Error(
          'the channel to RabbitMQ closed while the bench was publishing (was the broker stopped or restarted by someone?)',
        ),
      );
    ch.once('close', onClose);
    ch.once('drain', () => {
      ch.off('close', onClose);
      resolve();
    });
  });
}

/** Publishes `n` notifications through the exchange with broker confirms; returns the DMaaP messages they become. */
export async function prefill(
  url: string,
  exchange: string,
  queue: string,
  corpus: Corpus,
  n: number,
  prefix: string,
): Promise<number> {
  await withModel(url, async (m) => {
    const ch = await m.createConfirmChannel();
    for (let i = 0; i < n; i++) {
      const t = corpus.cycle[i % corpus.cycle.length];
      if (!ch.publish(exchange, t.routingKey, corpus.body(t, `${prefix}${i}`), OSLO_PUBLISH_OPTIONS)) await drained(ch);
      if (i % 5000 === 4999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    const { messageCount } = await ch.checkQueue(queue);
    if (messageCount !== n) throw new Error(`pre-queued ${n} but queue ${queue} holds ${messageCount}`);
  });
  return corpus.expectedPublished(n);
}

export interface Paced {
  /** Notifications published. */
  readonly sent: number;
  /** DMaaP messages the relay should publish for them. */
  readonly expected: number;
}

const clock = (): number => performance.timeOrigin + performance.now();

/**
 * Publishes at `rate` msg/s for `seconds`, each message_id `L<tag>-<publish epoch ms>-<seq>`
 * so the sink can tell the latency. Paced against the clock (catching up after a slow tick).
 */
export async function publishAtRate(
  ch: Channel,
  exchange: string,
  corpus: Corpus,
  rate: number,
  seconds: number,
  tag: string,
  offset: number,
): Promise<Paced> {
  const start = performance.now();
  let sent = 0;
  let expected = 0;
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (sent < due) {
      const t: Template = corpus.cycle[(offset + sent) % corpus.cycle.length];
      expected += t.published;
      const ok = ch.publish(
        exchange,
        t.routingKey,
        corpus.body(t, `L${tag}-${clock().toFixed(3)}-${sent}`),
        OSLO_PUBLISH_OPTIONS,
      );
      sent++;
      if (!ok) await drained(ch);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return { sent, expected };
}

export interface ConsumeLimit {
  readonly seconds: number;
  readonly rate: number;
}

/**
 * amqplib consuming `n` pre-queued messages with `prefetch`, doing nothing but ack: each one
 * (`everyN` 1) or with `multiple` every `everyN`. Timed from basic.consume to the last ack sent.
 */
export function consumeAndAck(
  url: string,
  queue: string,
  n: number,
  prefetch: number,
  everyN: number,
): Promise<ConsumeLimit> {
  return withModel(url, async (m) => {
    const ch = await m.createChannel();
    await ch.prefetch(prefetch);
    let got = 0;
    let started = 0;
    const done = new Promise<number>((resolve) => {
      void ch.consume(
        queue,
        (msg: ConsumeMessage | null) => {
          if (!msg) return;
          got++;
          if (everyN === 1) ch.ack(msg);
          else if (got % everyN === 0 || got === n) ch.ack(msg, true);
          if (got === n) resolve(performance.now());
        },
        { noAck: false },
      );
      started = performance.now();
    });
    const ended = await done;
    const seconds = (ended - started) / 1000;
    await ch.close();
    return { seconds, rate: n / seconds };
  });
}
