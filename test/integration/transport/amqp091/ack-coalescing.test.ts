/**
 * Coalesced acks against the real RabbitMQ: settled out of order, with a requeue and a
 * dead-letter inside the acked range, nothing is lost, nothing is acked that was not settled,
 * and the broker never closes the channel (a bad multiple ack would be a 406).
 */
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import {
  cleanup,
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  statusLog,
  tagOf,
  testVim,
  withChannel,
} from '../../../helpers/amqp.js';
import { sleep, waitFor } from '../../../helpers/wait.js';

const { vim, names } = testVim();
let listener: Amqp091Listener;

afterAll(async () => {
  await listener?.close();
  await cleanup(names);
});

test('out-of-order acks with a requeue and a dead-letter inside the range', async () => {
  listener = new Amqp091Listener(vim, { ...FAST_TRANSPORT, prefetch: 50 }, silentLogger());
  const seen = statusLog(listener);
  const got: Delivery[] = [];
  await listener.start((d) => got.push(d));
  await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
  await withChannel(async (ch) => {
    for (let i = 0; i < 20; i++) publishOslo(ch, vim.exchange, 'notifications.info', osloBody(i));
  });
  await waitFor(() => got.length === 20, '20 deliveries');

  // Settle from the back: acks wait behind the lower tags still in hand.
  for (let i = 19; i >= 12; i--) got[i].ack();
  got[10].requeue();
  await got[11].deadLetter({ code: 'NOT_JSON', message: 'test' });
  // The requeued one comes back at once (prefetch allows), while 0-9 are still in hand.
  await waitFor(() => got.length === 21, 'the requeued delivery again');
  expect(listener.unsettled()).toBe(11);
  for (let i = 9; i >= 0; i--) got[i].ack();
  expect(listener.unsettled()).toBe(1);
  expect(tagOf(got[20])).toBe('msg-10');
  expect(got[20].redelivered).toBe(true);
  got[20].ack();
  await sleep(300);
  expect(got).toHaveLength(21);
  expect(seen).toEqual(['PENDING', 'REACHABLE']);

  await listener.close();
  expect(await messageCount(vim.queue)).toBe(0);
  const dead = await withChannel((ch) => ch.get(vim.deadLetterQueue, { noAck: true }));
  expect(dead && tagOf({ body: dead.content } as Delivery)).toBe('msg-11');
});
