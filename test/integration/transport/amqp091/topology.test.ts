/** What the listener declares on a real RabbitMQ, and what it leaves alone. */
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import { deadLetterQueueArguments, queueArguments } from '../../../../src/transport/amqp091/queue-args.js';
import type { VimConfig } from '../../../../src/config/vim.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import {
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  statusLog,
  tagOf,
  TestVims,
  uniqueName,
  withChannel,
} from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';

const vims = new TestVims();
const listeners: Amqp091Listener[] = [];

function listen(vim: VimConfig, autoAck = false): { listener: Amqp091Listener; got: Delivery[] } {
  const listener = new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger());
  listeners.push(listener);
  const got: Delivery[] = [];
  void listener.start((d) => {
    got.push(d);
    if (autoAck) d.ack();
  });
  return { listener, got };
}

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await vims.removeAll();
});

/** A passive-ish check: re-declaring with the given durability (and queue arguments) succeeds only if it matches. */
function declaresAs(
  kind: 'queue' | 'exchange',
  name: string,
  durable: boolean,
  args?: Record<string, unknown>,
): Promise<boolean> {
  return withChannel(async (ch) => {
    try {
      if (kind === 'queue') await ch.assertQueue(name, { durable, arguments: args });
      else await ch.assertExchange(name, 'topic', { durable });
      return true;
    } catch {
      return false;
    }
  });
}

describe('Amqp091Listener topology', () => {
  it('declares its own durable quorum queue and DLQ, binds <topic>.<priority> for the defaults, declares an absent exchange topic non-durable', async () => {
    const vim = vims.vim();
    const { listener, got } = listen(vim);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');

    expect(await declaresAs('queue', vim.queue, true, queueArguments(vim))).toBe(true);
    expect(await declaresAs('queue', vim.queue, true, { ...queueArguments(vim), 'x-queue-type': 'classic' })).toBe(
      false,
    );
    expect(await declaresAs('queue', vim.deadLetterQueue, true, deadLetterQueueArguments(vim))).toBe(true);
    expect(await declaresAs('queue', vim.deadLetterQueue, true)).toBe(false);
    expect(await declaresAs('exchange', vim.exchange, false)).toBe(true);
    expect(await declaresAs('exchange', vim.exchange, true)).toBe(false);

    const bound = [
      'notifications.info',
      'notifications.error',
      'versioned_notifications.info',
      'versioned_notifications.error',
    ];
    await withChannel(async (ch) => {
      for (const key of [...bound, 'notifications.warn', 'notifications.audit'])
        publishOslo(ch, vim.exchange, key, osloBody(key));
    });
    await waitFor(() => got.length === 4, '4 deliveries');
    expect(got.map((d) => d.source).sort()).toEqual([...bound].sort());
    expect(got.map(tagOf).sort()).toEqual(bound.map((k) => `msg-${k}`).sort());
    // Nothing else trickles in: the unbound priorities were never routed to our queue.
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(4);
  });

  it("steals nothing from the notifier's own queue (named as the routing key, non-durable) on the same exchange", async () => {
    const topic = uniqueName('notifications');
    const vim = vims.vim({ topics: [topic], priorities: ['info'] });
    const osloQueue = `${topic}.info`;
    vims.keep({ queues: [osloQueue], exchanges: [] });
    // What oslo's notifier declares on first publish, and what ceilometer consumes.
    await withChannel(async (ch) => {
      await ch.assertExchange(vim.exchange, 'topic', { durable: false });
      await ch.assertQueue(osloQueue, { durable: false });
      await ch.bindQueue(osloQueue, vim.exchange, osloQueue);
    });
    const { listener, got } = listen(vim, true);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    await withChannel(async (ch) => {
      for (let i = 0; i < 20; i++) publishOslo(ch, vim.exchange, osloQueue, osloBody(i));
    });
    await waitFor(() => got.length === 20, '20 deliveries');
    expect(await messageCount(osloQueue)).toBe(20);
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('uses an existing durable exchange although the config says non-durable: no 406, consuming works', async () => {
    const vim = vims.vim({ exchangeDurable: false });
    await withChannel((ch) => ch.assertExchange(vim.exchange, 'topic', { durable: true }));
    const { listener, got } = listen(vim);
    const seen = statusLog(listener);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    await withChannel(async (ch) => void publishOslo(ch, vim.exchange, 'notifications.info', osloBody(1)));
    await waitFor(() => got.length === 1, 'a delivery');
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
    expect(await declaresAs('exchange', vim.exchange, true)).toBe(true);
  });

  it('declares an absent exchange durable when exchangeDurable is set (amqp_durable_queues)', async () => {
    const vim = vims.vim({ exchangeDurable: true });
    const { listener } = listen(vim);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    expect(await declaresAs('exchange', vim.exchange, true)).toBe(true);
  });

  it('uses an existing non-durable exchange although exchangeDurable is set: never redeclared with other durability', async () => {
    const vim = vims.vim({ exchangeDurable: true });
    await withChannel((ch) => ch.assertExchange(vim.exchange, 'topic', { durable: false }));
    const { listener, got } = listen(vim);
    const seen = statusLog(listener);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    await withChannel(async (ch) => void publishOslo(ch, vim.exchange, 'notifications.info', osloBody(1)));
    await waitFor(() => got.length === 1, 'a delivery');
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
    expect(await declaresAs('exchange', vim.exchange, false)).toBe(true);
  });

  it('reports a 406 on its queue as UNREACHABLE naming the fix, and recovers once the queue is fixed', async () => {
    const vim = vims.vim();
    await withChannel((ch) => ch.assertQueue(vim.queue, { durable: false }));
    const { listener } = listen(vim);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toMatch(
      new RegExp(`refused to declare queue "${vim.queue}".*delete it .*or configure another queue name.*PRECONDITION`),
    );
    await withChannel((ch) => ch.deleteQueue(vim.queue));
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE after the fix');
    expect(await declaresAs('queue', vim.queue, true, queueArguments(vim))).toBe(true);
  });
});
