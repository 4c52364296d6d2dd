/** The dead-letter tool through the admin API, on a real RabbitMQ: list, show, re-drive, audit line. */
import { call, startAdmin, type Harness } from './harness.js';
import { cleanup, messageCount, rabbitUrl, testVim, withChannel } from '../../helpers/amqp.js';
import { deadLetterQueueArguments, queueArguments } from '../../../src/transport/amqp091/queue-args.js';

const { vim, names } = testVim();
let h: Harness;
beforeAll(async () => {
  h = await startAdmin();
  await call(h.url, 'PUT', `/api/v1/vims/${vim.id}`, {
    body: { transportUrl: rabbitUrl(), exchange: vim.exchange, queue: vim.queue },
  });
  await withChannel(async (ch) => {
    await ch.assertQueue(vim.queue, { durable: true, arguments: queueArguments(vim) });
    await ch.assertQueue(vim.deadLetterQueue, { durable: true, arguments: deadLetterQueueArguments(vim) });
    for (const id of ['a', 'b'])
      ch.sendToQueue(vim.deadLetterQueue, Buffer.from(`{"x":"${id}"}`), {
        headers: { 'x-relay-dead-letter-id': id, 'x-relay-reason-code': 'UNMAPPABLE', 'x-relay-reason': 'r' },
      });
    await ch.waitForConfirms();
  });
});
afterAll(async () => {
  await h.close();
  await cleanup(names);
});

it('lists, shows and re-drives, logging the re-drive as an admin change', async () => {
  const list = await call(h.url, 'GET', `/api/v1/vims/${vim.id}/deadletters`);
  expect(list.status).toBe(200);
  expect(list.json).toMatchObject({ vim: vim.id, queue: vim.deadLetterQueue, total: 2 });
  const one = await call(h.url, 'GET', `/api/v1/vims/${vim.id}/deadletters/b`);
  expect(one.json).toMatchObject({ id: 'b', reasonCode: 'UNMAPPABLE', body: '{"x":"b"}' });
  expect((await call(h.url, 'GET', `/api/v1/vims/${vim.id}/deadletters/zz`)).status).toBe(404);
  expect((await call(h.url, 'POST', `/api/v1/vims/${vim.id}/deadletters/redrive`, { body: {} })).status).toBe(400);
  const r = await call(h.url, 'POST', `/api/v1/vims/${vim.id}/deadletters/redrive`, { body: { ids: ['a'] } });
  expect(r.json).toEqual({ vim: vim.id, redriven: ['a'], missing: [] });
  expect(await messageCount(vim.queue)).toBe(1);
  expect(await messageCount(vim.deadLetterQueue)).toBe(1);
  const audit = h
    .logLines()
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.what === `deadletters ${vim.id} re-driven`);
  expect(audit).toMatchObject({ message: 'admin change', client: '127.0.0.1', new: { redriven: ['a'] } });
  expect((await call(h.url, 'GET', '/api/v1/vims/nope/deadletters')).status).toBe(404);
});
