/**
 * Amqp10Listener against the real RabbitMQ 3.x AMQP 1.0 plugin: oslo-style notifications
 * published over 0-9-1 into the relay's durable queue, read at /amq/queue/<queue>.
 */
import type { ListenerStatusChange } from '../../../../src/transport/types.js';
import { messageCount, statusLog } from '../../../helpers/amqp.js';
import { sleep, waitFor } from '../../../helpers/wait.js';
import { toWireV2 } from '../../../helpers/fixtures.js';
import { Harness, collect, publishRaw } from './support.js';

const h = new Harness();
afterEach(() => h.dispose());

function osloV2(tag: number): Buffer {
  const sample = {
    event_type: 'compute.instance.power_off.end',
    publisher_id: 'compute.host1',
    payload: { instance_id: `inst-${tag}` },
    message_id: `msg-${tag}`,
  };
  return Buffer.from(JSON.stringify(toWireV2(sample)), 'utf8');
}

describe('Amqp10Listener on RabbitMQ 3.x (/amq/queue/<name>)', () => {
  it('goes PENDING -> REACHABLE and hands out each notification with its exact bytes', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim);
    const seen = statusLog(listener);
    const events: ListenerStatusChange[] = [];
    listener.on('status', (s: ListenerStatusChange) => events.push(s));
    const got = await collect(listener);
    expect(listener.status.status).toBe('REACHABLE');
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
    expect(events[0].since).toBeInstanceOf(Date);
    expect(events[0].reason).toBeUndefined();

    const bodies = [osloV2(1), osloV2(2), osloV2(3)];
    await publishRaw(vim, 'notifications.info', bodies.slice(0, 2));
    await publishRaw(vim, 'notifications.error', bodies.slice(2));
    await waitFor(() => got.length === 3, '3 deliveries');
    expect(got.map((d) => d.body)).toEqual(bodies);
    for (const d of got) {
      expect(d).toMatchObject({ vimId: vim.id, source: `/amq/queue/${vim.queue}`, redelivered: false });
    }
    expect(listener.unsettled()).toBe(3);
  });

  it('ack removes the message from the queue for good', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim);
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [osloV2(1), osloV2(2)]);
    await waitFor(() => got.length === 2, '2 deliveries');
    got.forEach((d) => d.ack());
    expect(listener.unsettled()).toBe(0);
    await listener.close();
    expect(await messageCount(vim.queue)).toBe(0);
    const again = await collect(h.listener(vim));
    await sleep(500);
    expect(again).toHaveLength(0);
  });

  it('redelivers what was not settled before close(), marked redelivered', async () => {
    const { vim } = await h.topology();
    const first = h.listener(vim);
    const got = await collect(first);
    const bodies = [osloV2(1), osloV2(2), osloV2(3)];
    await publishRaw(vim, 'notifications.info', bodies);
    await waitFor(() => got.length === 3, '3 deliveries');
    got[0].ack();
    await first.close();
    await first.close();
    got[1].ack(); // after close: a harmless no-op, the broker has it back
    await waitFor(async () => (await messageCount(vim.queue)) === 2, 'the 2 unsettled back in the queue', 5000);

    const again = await collect(h.listener(vim));
    await waitFor(() => again.length === 2, '2 redeliveries');
    expect(again.map((d) => d.body)).toEqual(bodies.slice(1));
    expect(again.every((d) => d.redelivered)).toBe(true);
  });

  it('requeue() hands the message back and it comes again, redelivered', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim);
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [osloV2(7)]);
    await waitFor(() => got.length === 1, 'the delivery');
    got[0].requeue();
    got[0].ack(); // second settle: ignored
    await waitFor(() => got.length === 2, 'the redelivery');
    expect(got[1].body).toEqual(got[0].body);
    expect(got[1].redelivered).toBe(true);
    got[1].ack();
    expect(listener.unsettled()).toBe(0);
  });

  it('loses nothing when acks and requeues are mixed in the same tick (rhea disposition ranges)', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim);
    const got = await collect(listener);
    const bodies = [osloV2(0), osloV2(1), osloV2(2), osloV2(3), osloV2(4)];
    await publishRaw(vim, 'notifications.info', bodies);
    await waitFor(() => got.length === 5, '5 deliveries');
    got[0].ack();
    got[1].requeue();
    got[2].ack();
    got[3].requeue();
    got[4].requeue();
    await waitFor(() => got.length === 8, 'the 3 requeued to come back');
    await sleep(300);
    expect(got.slice(5).map((d) => d.body)).toEqual([bodies[1], bodies[3], bodies[4]]);
    got.slice(5).forEach((d) => d.ack());
    await listener.close();
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('keeps exactly prefetch deliveries in hand and gets more only as they are settled', async () => {
    const { vim } = await h.topology();
    await publishRaw(
      vim,
      'notifications.info',
      Array.from({ length: 50 }, (_v, i) => osloV2(i)),
    );
    await waitFor(async () => (await messageCount(vim.queue)) === 50, '50 messages queued');
    const listener = h.listener(vim, { prefetch: 10 });
    const got = await collect(listener);
    await waitFor(() => got.length === 10, '10 deliveries');
    await sleep(500);
    expect(got).toHaveLength(10);
    expect(listener.unsettled()).toBe(10);

    got.slice(0, 4).forEach((d) => d.ack());
    await waitFor(() => got.length === 14, '4 more deliveries');
    await sleep(300);
    expect(got).toHaveLength(14);
    expect(listener.unsettled()).toBe(10);

    for (let settled = 4; settled < 50; settled++) {
      await waitFor(() => got.length > settled, `delivery ${settled + 1}`);
      got[settled].ack();
      expect(listener.unsettled()).toBeLessThanOrEqual(10);
    }
    expect(got.map((d) => JSON.parse(JSON.parse(d.body.toString())['oslo.message']).message_id)).toEqual(
      Array.from({ length: 50 }, (_v, i) => `msg-${i}`),
    );
    await waitFor(async () => (await messageCount(vim.queue)) === 0, 'an empty queue');
  });

  it('stopConsuming() stops new deliveries while those in hand can still be settled', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim, { prefetch: 5 });
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [osloV2(1), osloV2(2)]);
    await waitFor(() => got.length === 2, '2 deliveries');
    await listener.stopConsuming();
    await publishRaw(vim, 'notifications.info', [osloV2(3), osloV2(4), osloV2(5)]);
    got.forEach((d) => d.ack());
    await sleep(800);
    expect(got).toHaveLength(2);
    expect(listener.unsettled()).toBe(0);
    await listener.close();
    // The two acked are gone; the three that arrived after stopConsuming were handed back.
    await waitFor(async () => (await messageCount(vim.queue)) === 3, '3 messages back in the queue', 5000);
  });
});
