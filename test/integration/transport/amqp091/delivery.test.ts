/** Deliveries from a real RabbitMQ: settle, redelivery, dead-lettering, prefetch, stop/close. */
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
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
  withChannel,
} from '../../../helpers/amqp.js';
import { sleep, waitFor } from '../../../helpers/wait.js';

const vims = new TestVims();
const listeners: Amqp091Listener[] = [];

async function listen(vim: VimConfig, opts = FAST_TRANSPORT): Promise<{ listener: Amqp091Listener; got: Delivery[] }> {
  const listener = new Amqp091Listener(vim, opts, silentLogger());
  listeners.push(listener);
  const got: Delivery[] = [];
  await listener.start((d) => got.push(d));
  await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
  return { listener, got };
}

function publish(vim: VimConfig, tags: readonly (string | number)[], routingKey = 'notifications.info'): Promise<void> {
  return withChannel(async (ch) => {
    for (const t of tags) publishOslo(ch, vim.exchange, routingKey, osloBody(t));
  });
}

let vim: VimConfig;
beforeEach(() => {
  vim = vims.vim();
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await vims.removeAll();
});

describe('Amqp091Listener deliveries', () => {
  it('hands over an oslo message as a Delivery with its routing key; ack removes it', async () => {
    const { listener, got } = await listen(vim);
    await publish(vim, ['a'], 'versioned_notifications.error');
    await waitFor(() => got.length === 1, 'a delivery');
    const d = got[0];
    expect(d).toMatchObject({ vimId: vim.id, source: 'versioned_notifications.error', redelivered: false });
    expect(JSON.parse(d.body.toString('utf8'))).toEqual(osloBody('a'));
    expect(listener.unsettled()).toBe(1);
    d.ack();
    expect(listener.unsettled()).toBe(0);
    await listener.close();
    // Closing requeues whatever is unacked: an empty queue proves the ack reached the broker.
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('an unsettled delivery is requeued by close() and comes back redelivered', async () => {
    const first = await listen(vim);
    await publish(vim, ['r']);
    await waitFor(() => first.got.length === 1, 'a delivery');
    await first.listener.close();
    await first.listener.close();
    // Settling after close is a harmless no-op.
    expect(() => first.got[0].ack()).not.toThrow();

    const second = await listen(vim);
    await waitFor(() => second.got.length === 1, 'the redelivery');
    expect(tagOf(second.got[0])).toBe('msg-r');
    expect(second.got[0].redelivered).toBe(true);
  });

  it('requeue() hands it back for redelivery', async () => {
    const { got } = await listen(vim);
    await publish(vim, ['q']);
    await waitFor(() => got.length === 1, 'a delivery');
    got[0].requeue();
    await waitFor(() => got.length === 2, 'the redelivery');
    expect(got[1].redelivered).toBe(true);
    got[1].ack();
  });

  it('a second settle is ignored (a double ack would make the broker close the channel)', async () => {
    const { listener, got } = await listen(vim);
    const seen = statusLog(listener);
    await publish(vim, [1]);
    await waitFor(() => got.length === 1, 'a delivery');
    got[0].ack();
    got[0].ack();
    got[0].requeue();
    await publish(vim, [2]);
    await waitFor(() => got.length === 2, 'the next delivery');
    got[1].ack();
    await sleep(200);
    expect(seen).toEqual(['REACHABLE']);
    expect(got).toHaveLength(2);
  });

  it('deadLetter copies body and properties to the DLQ with the reason headers, then acks the original', async () => {
    const { listener, got } = await listen(vim);
    await publish(vim, ['dead'], 'notifications.error');
    await waitFor(() => got.length === 1, 'a delivery');
    const before = Date.now();
    await got[0].deadLetter({ code: 'NOT_JSON', message: 'body is not JSON' });
    await got[0].deadLetter({ code: 'NOT_JSON', message: 'again' });
    expect(listener.unsettled()).toBe(0);

    const copy = await withChannel((ch) => ch.get(vim.deadLetterQueue, { noAck: true }));
    if (!copy) throw new Error('the DLQ is empty');
    expect(copy.content.equals(got[0].body)).toBe(true);
    expect(copy.properties).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
    });
    const h = copy.properties.headers!;
    expect(h).toMatchObject({
      'x-relay-reason-code': 'NOT_JSON',
      'x-relay-reason': 'body is not JSON',
      'x-relay-vim-id': vim.id,
      'x-relay-routing-key': 'notifications.error',
    });
    expect(Date.parse(h['x-relay-dead-lettered-at'] as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(await messageCount(vim.deadLetterQueue)).toBe(0);

    await listener.close();
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('deadLetter fails (original kept) when the DLQ was deleted, re-declares it, and a retry lands', async () => {
    const { listener, got } = await listen(vim);
    await publish(vim, ['x']);
    await waitFor(() => got.length === 1, 'a delivery');
    await withChannel((ch) => ch.deleteQueue(vim.deadLetterQueue));
    await expect(got[0].deadLetter({ code: 'UNMAPPABLE', message: 'm' })).rejects.toThrow(
      /did not exist .*re-declared, retry/,
    );
    expect(listener.unsettled()).toBe(1);
    await got[0].deadLetter({ code: 'UNMAPPABLE', message: 'm' });
    expect(listener.unsettled()).toBe(0);
    expect(await messageCount(vim.deadLetterQueue)).toBe(1);
  });

  it('prefetch bounds the deliveries in hand (50 published, prefetch 10: exactly 10)', async () => {
    const { listener, got } = await listen(vim, { ...FAST_TRANSPORT, prefetch: 10 });
    await publish(
      vim,
      Array.from({ length: 50 }, (_, i) => i),
    );
    await waitFor(() => got.length === 10, '10 deliveries');
    await sleep(300);
    expect(got).toHaveLength(10);
    expect(listener.unsettled()).toBe(10);
    for (const d of got.slice(0, 10)) d.ack();
    await waitFor(() => got.length === 20, 'the next 10');
    await sleep(200);
    expect(got).toHaveLength(20);
  });

  it('stopConsuming() stops new deliveries; those in hand can still be settled', async () => {
    const { listener, got } = await listen(vim);
    await publish(vim, ['held']);
    await waitFor(() => got.length === 1, 'a delivery');
    await listener.stopConsuming();
    await publish(vim, ['later']);
    await sleep(300);
    expect(got).toHaveLength(1);
    got[0].ack();
    await listener.close();
    const left = await withChannel((ch) => ch.get(vim.queue, { noAck: true }));
    expect(left && tagOf({ body: left.content } as Delivery)).toBe('msg-later');
    expect(await messageCount(vim.queue)).toBe(0);
  });
});
