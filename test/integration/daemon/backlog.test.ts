/** Queue and dead-letter depth of a VIM, read from a real RabbitMQ by a passive declare. */
import { BacklogPoller } from '../../../src/daemon/backlog.js';
import { createRelayMetrics } from '../../../src/daemon/metrics.js';
import { silentLogger } from '../../../src/util/logger.js';
import { cleanup, FAST_TRANSPORT, testVim, withChannel } from '../../helpers/amqp.js';

const { vim, names } = testVim();
afterAll(() => cleanup(names));

const gauge = async (m: ReturnType<typeof createRelayMetrics>, name: string) =>
  (await m.registry.getSingleMetric(`vim_event_relay_${name}`)!.get()).values.find((v) => v.labels.vim === vim.id)
    ?.value;

it('reads messages and consumers of the queue and the dead-letter queue, and forgets a VIM that is gone', async () => {
  const metrics = createRelayMetrics();
  let vims = [vim];
  const poller = new BacklogPoller({
    vims: () => vims,
    transport: FAST_TRANSPORT,
    intervalMs: 0,
    metrics,
    logger: silentLogger(),
  });

  await poller.pollOnce();
  expect(poller.backlog(vim.id)).toMatchObject({ queue: null, deadLetterQueue: null });

  await withChannel(async (ch) => {
    await ch.assertQueue(vim.queue, { durable: true });
    await ch.assertQueue(vim.deadLetterQueue, { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue(vim.queue, Buffer.from(`q${i}`));
    for (let i = 0; i < 2; i++) ch.sendToQueue(vim.deadLetterQueue, Buffer.from(`d${i}`));
    await ch.waitForConfirms();
  });
  await poller.pollOnce();
  expect(poller.backlog(vim.id)).toMatchObject({
    queue: { messages: 3, consumers: 0 },
    deadLetterQueue: { messages: 2, consumers: 0 },
    readAt: expect.any(String),
  });
  expect(await gauge(metrics, 'queue_messages')).toBe(3);
  expect(await gauge(metrics, 'queue_consumers')).toBe(0);
  expect(await gauge(metrics, 'dead_letter_messages')).toBe(2);

  vims = [];
  await poller.pollOnce();
  expect(poller.backlog(vim.id)).toBeNull();
  expect(await gauge(metrics, 'queue_messages')).toBeUndefined();
});
