/**
 * queueType, deliveryLimit, singleActiveConsumer and maxLength against the real RabbitMQ
 * (3.10: quorum queues, x-delivery-limit, at-least-once dead-lettering, single active consumer).
 */
import { connect, type ChannelModel } from 'amqplib';
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import { declareTopology } from '../../../../src/transport/amqp091/topology.js';
import type { VimConfig } from '../../../../src/config/vim.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import {
  amqpUrl,
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  statusLog,
  tagOf,
  TestVims,
  withChannel,
} from '../../../helpers/amqp.js';
import { captureLog } from '../../../helpers/log-capture.js';
import { waitFor } from '../../../helpers/wait.js';

const vims = new TestVims();
const listeners: Amqp091Listener[] = [];
let model: ChannelModel | undefined;

function listen(
  vim: VimConfig,
  handle: (d: Delivery, got: Delivery[]) => void = () => undefined,
): { listener: Amqp091Listener; got: Delivery[] } {
  const listener = new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger());
  listeners.push(listener);
  const got: Delivery[] = [];
  void listener.start((d) => {
    got.push(d);
    handle(d, got);
  });
  return { listener, got };
}

async function declare(vim: VimConfig, log = captureLog()) {
  model ??= await connect(amqpUrl());
  return { state: await declareTopology(model, vim, log.logger), lines: log.lines };
}

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await model?.close().catch(() => undefined);
  model = undefined;
  await vims.removeAll();
});

async function publish(vim: VimConfig, tags: readonly (string | number)[]): Promise<void> {
  await withChannel(async (ch) => {
    for (const t of tags) publishOslo(ch, vim.exchange, 'notifications.info', osloBody(t));
  });
}

describe('queueType', () => {
  it('creates both queues quorum by default and logs their type', async () => {
    const vim = vims.vim();
    const { state, lines } = await declare(vim);
    expect(state.queue).toMatchObject({ type: 'quorum', asConfigured: true });
    expect(state.queue.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': vim.deadLetterQueue,
      'x-delivery-limit': 20,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    expect(state.deadLetterQueue).toMatchObject({
      type: 'quorum',
      asConfigured: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    expect(lines.filter((l) => l.message === 'queue ready').map((l) => [l.queue, l.queueType])).toEqual([
      [vim.deadLetterQueue, 'quorum'],
      [vim.queue, 'quorum'],
    ]);
  });

  it('creates classic queues when queueType is classic, without broker dead-lettering', async () => {
    const vim = vims.vim({ queueType: 'classic' });
    const { state } = await declare(vim);
    expect(state.queue).toMatchObject({
      type: 'classic',
      asConfigured: true,
      arguments: { 'x-queue-type': 'classic' },
    });
    expect(state.deadLetterQueue.type).toBe('classic');
  });

  it('keeps using a classic queue (and DLQ) left by an older version: notifications flow, no 406 loop, the type is logged', async () => {
    const vim = vims.vim();
    await withChannel(async (ch) => {
      await ch.assertExchange(vim.exchange, 'topic', { durable: false });
      await ch.assertQueue(vim.queue, { durable: true });
      await ch.assertQueue(vim.deadLetterQueue, { durable: true });
      await ch.bindQueue(vim.queue, vim.exchange, 'notifications.info');
    });
    await publish(vim, ['old']);
    const { listener, got } = listen(vim, (d) => d.ack());
    const seen = statusLog(listener);
    await waitFor(() => got.length === 1, 'the message queued before the upgrade');
    await publish(vim, [1, 2, 3]);
    await waitFor(() => got.length === 4, '3 more deliveries');
    expect(got.map(tagOf)).toEqual(['msg-old', 'msg-1', 'msg-2', 'msg-3']);
    expect(seen).toEqual(['PENDING', 'REACHABLE']);

    const { state, lines } = await declare(vim);
    expect(state.queue).toMatchObject({ type: 'classic', asConfigured: false, arguments: {} });
    expect(state.deadLetterQueue).toMatchObject({ type: 'classic', asConfigured: false });
    const warned = lines.find((l) => l.queue === vim.queue && l.level === 'warn');
    expect(warned).toMatchObject({ queueType: 'classic', configuredType: 'quorum' });
  });

  it('uses an existing quorum queue with other arguments as it is (an operator set x-delivery-limit 5)', async () => {
    const vim = vims.vim();
    await withChannel((ch) =>
      ch.assertQueue(vim.queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 } }),
    );
    const { state } = await declare(vim);
    expect(state.queue).toMatchObject({
      type: 'quorum',
      asConfigured: false,
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
    });
    expect(
      await withChannel(
        async (ch) =>
          (
            await ch.assertQueue(vim.queue, {
              durable: true,
              arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
            })
          ).queue,
      ),
    ).toBe(vim.queue);
  });
});

describe('deliveryLimit', () => {
  it('dead-letters a body requeued over and over into the DLQ after the limit (broker-side, x-death says why)', async () => {
    const vim = vims.vim({ deliveryLimit: 3 });
    const { listener, got } = listen(vim, (d) => d.requeue());
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    await publish(vim, ['poison']);
    await waitFor(async () => (await messageCount(vim.deadLetterQueue)) === 1, 'the poison body in the DLQ', 10000);
    const deliveries = got.length;
    console.log(`deliveryLimit 3: delivered ${deliveries} times, then dead-lettered by the broker`);
    expect(deliveries).toBe(4);
    expect(await messageCount(vim.queue)).toBe(0);
    const dead = await withChannel(async (ch) => ch.get(vim.deadLetterQueue, { noAck: true }));
    expect(dead && JSON.parse(dead.content.toString()).message_id).toBe('msg-poison');
    const death =
      (dead ? (dead.properties.headers?.['x-death'] as { reason: string; queue: string }[] | undefined) : undefined) ??
      [];
    expect(death[0]).toMatchObject({ reason: 'delivery_limit', queue: vim.queue });
  });
});

describe('singleActiveConsumer', () => {
  it('delivers to one of two consumers only; when it closes the other takes over', async () => {
    const vim = vims.vim({ singleActiveConsumer: true });
    const a = listen(vim);
    await waitFor(() => a.listener.status.status === 'REACHABLE', 'A REACHABLE');
    const b = listen(vim, (d) => d.ack());
    await waitFor(() => b.listener.status.status === 'REACHABLE', 'B REACHABLE');
    await publish(vim, [1, 2, 3, 4, 5]);
    await waitFor(() => a.got.length === 5, 'A gets all 5 (held unacked)');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.got).toHaveLength(0);

    const t0 = process.hrtime.bigint();
    await a.listener.close();
    await waitFor(() => b.got.length === 5, 'B takes over the 5 A handed back', 10000, 5);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`single active consumer failover: ${ms.toFixed(1)} ms from A's close() to B holding all 5`);
    expect(b.got.map(tagOf).sort()).toEqual([1, 2, 3, 4, 5].map((i) => `msg-${i}`));
    await publish(vim, [6]);
    await waitFor(() => b.got.length === 6, 'B gets new ones');
  });
});

describe('maxLength', () => {
  it.each(['quorum', 'classic'] as const)(
    '%s: keeps the newest maxLength, drops the oldest into the DLQ, which is bounded alike',
    async (queueType) => {
      const vim = vims.vim({ queueType, maxLength: 3 });
      await declare(vim);
      await publish(vim, [1, 2, 3, 4, 5, 6, 7, 8]);
      await waitFor(
        async () => (await messageCount(vim.queue)) === 3 && (await messageCount(vim.deadLetterQueue)) === 3,
        'queue and DLQ at 3',
        5000,
      );
      const tags = await withChannel(async (ch) => {
        const out: string[] = [];
        for (let m = await ch.get(vim.queue, { noAck: true }); m; m = await ch.get(vim.queue, { noAck: true }))
          out.push(JSON.parse(m.content.toString()).message_id as string);
        return out;
      });
      expect(tags).toEqual(['msg-6', 'msg-7', 'msg-8']);
    },
  );
});
