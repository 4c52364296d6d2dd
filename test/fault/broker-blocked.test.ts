/**
 * connection.blocked, for real: a memory alarm on the local RabbitMQ (the watermark set below
 * what it uses) makes the broker block every connection that publishes. The relay publishes
 * only dead-letter copies; such a copy must wait while blocked, the listener must say so, and
 * when the alarm clears the copy lands and the held acks go through: nothing lost.
 * The whole broker is affected, so this holds the broker lock and always restores the watermark.
 */
import { PassThrough } from 'node:stream';
import { jest } from '@jest/globals';
import { Amqp091Listener } from '../../src/transport/amqp091/listener.js';
import type { Delivery } from '../../src/transport/types.js';
import { createLogger } from '../../src/util/logger.js';
import { cleanup, FAST_TRANSPORT, osloBody, publishOslo, testVim, withChannel } from '../helpers/amqp.js';
import { rabbitmqctl, withBrokerLock } from '../helpers/broker-restart.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(90000);

test('a dead-letter copy waits while the broker blocks the connection, then lands; nothing is lost', async () => {
  const { vim, names } = testVim();
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (b: Buffer) => (log += b.toString()));
  const listener = new Amqp091Listener(vim, FAST_TRANSPORT, createLogger({ level: 'info', format: 'json', stream }));
  const got: Delivery[] = [];
  await withBrokerLock(async () => {
    const watermark = (await rabbitmqctl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim();
    try {
      await listener.start((d) => got.push(d));
      await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
      await withChannel(async (ch) => {
        for (let i = 0; i < 5; i++) publishOslo(ch, vim.exchange, 'notifications.info', osloBody(i));
      });
      await waitFor(() => got.length === 5, 'five deliveries in hand');

      await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
      let landed = false;
      const copy = got[0]
        .deadLetter({ code: 'NOT_A_NOTIFICATION', message: 'test poison' })
        .then(() => (landed = true));
      for (const d of got.slice(1)) d.ack();
      await waitFor(
        () => log.includes('broker blocked the connection'),
        'the listener to report connection.blocked',
        30000,
        100,
      );
      await sleep(1000);
      expect(landed).toBe(false); // held by the broker, not dropped, not falsely confirmed

      await rabbitmqctl('set_vm_memory_high_watermark', watermark);
      await copy;
      await waitFor(() => log.includes('broker unblocked the connection'), 'unblocked', 30000, 100);
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', watermark);
    }
  });
  await waitFor(
    async () => {
      const [q, dlq] = [await queueCounts(vim.queue), await queueCounts(vim.deadLetterQueue)];
      return q?.ready === 0 && q.unacked === 0 && dlq?.ready === 1;
    },
    'every ack applied and the copy in the dead-letter queue',
    30000,
    250,
  );
  await listener.close();
  await cleanup(names);
});
