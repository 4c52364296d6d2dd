/**
 * The dead-letter tool on a real RabbitMQ: list what waits (reason, count, age), show one, and
 * re-drive selected ones to the VIM's queue at-least-once: a re-drive that dies half way loses
 * nothing.
 */
import {
  listDeadLetters,
  redriveDeadLetters,
  showDeadLetter,
} from '../../../../src/transport/amqp091/dead-letter-tool.js';
import { deadLetterProperties } from '../../../../src/transport/amqp091/dead-letter.js';
import { deadLetterQueueArguments, queueArguments } from '../../../../src/transport/amqp091/queue-args.js';
import { cleanup, FAST_TRANSPORT, messageCount, rabbitUrl, testVim, withChannel } from '../../../helpers/amqp.js';
import { powerOffV2 } from '../../../helpers/fixtures.js';
import type { Message } from 'amqplib';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from '../../../helpers/daemon.js';

const { vim, names } = testVim();
afterAll(() => cleanup(names));

/** Dead-letters `n` notifications as the relay does (deadLetterProperties), and one as the broker does (x-death). */
async function fill(): Promise<void> {
  await withChannel(async (ch) => {
    await ch.assertQueue(vim.queue, { durable: true, arguments: queueArguments(vim) });
    await ch.assertQueue(vim.deadLetterQueue, { durable: true, arguments: deadLetterQueueArguments(vim) });
    for (const [i, code] of ['DMAAP_REJECTED', 'UNMAPPABLE', 'NOT_JSON'].entries()) {
      const body = code === 'NOT_JSON' ? Buffer.from('not json') : Buffer.from(JSON.stringify(powerOffV2(`m-${i}`)));
      const original = {
        content: body,
        fields: { routingKey: 'versioned_notifications.info' },
        properties: { headers: {} },
      } as unknown as Message;
      const props = deadLetterProperties(
        original,
        { code, message: `because ${code}` },
        vim.id,
        `dl-${i}`,
        new Date(Date.now() - 60_000),
      );
      ch.sendToQueue(vim.deadLetterQueue, body, props);
    }
    await ch.waitForConfirms();
  });
}

beforeAll(fill);

it('lists every dead letter with its reason, count and age, and leaves them all in the queue', async () => {
  const list = await listDeadLetters(vim, FAST_TRANSPORT, 100);
  expect(list.total).toBe(3);
  expect(list.items.map((i) => [i.id, i.reasonCode]).sort()).toEqual([
    ['dl-0', 'DMAAP_REJECTED'],
    ['dl-1', 'UNMAPPABLE'],
    ['dl-2', 'NOT_JSON'],
  ]);
  const first = list.items.find((i) => i.id === 'dl-0')!;
  expect(first).toMatchObject({
    reason: 'because DMAAP_REJECTED',
    count: 1,
    routingKey: 'versioned_notifications.info',
    eventType: 'instance.power_off.end',
    messageId: 'm-0',
  });
  expect(first.ageSeconds).toBeGreaterThanOrEqual(59);
  expect(await messageCount(vim.deadLetterQueue)).toBe(3);

  const shown = await showDeadLetter(vim, FAST_TRANSPORT, 'dl-2', 100);
  expect(shown).toMatchObject({ id: 'dl-2', body: 'not json', bodyEncoding: 'utf8' });
  expect(await showDeadLetter(vim, FAST_TRANSPORT, 'nope', 100)).toBeUndefined();
  expect(await messageCount(vim.deadLetterQueue)).toBe(3);
});

it('a re-drive that dies after a confirmed publish loses nothing: the copy stays in the dead-letter queue', async () => {
  await expect(
    redriveDeadLetters(vim, FAST_TRANSPORT, { ids: ['dl-0', 'dl-1'] }, () => {
      throw new Error('the process died here');
    }),
  ).rejects.toThrow('the process died here');
  // Published (confirmed) once, not acked: in both queues, nothing lost.
  expect(await messageCount(vim.queue)).toBe(1);
  expect(await messageCount(vim.deadLetterQueue)).toBe(3);
  await withChannel((ch) => ch.purgeQueue(vim.queue));
});

it('re-drives the selected ones to the VIM queue and removes them from the dead-letter queue', async () => {
  const r = await redriveDeadLetters(vim, FAST_TRANSPORT, { ids: ['dl-0', 'dl-1', 'dl-9'] });
  expect([...r.redriven].sort()).toEqual(['dl-0', 'dl-1']);
  expect(r.missing).toEqual(['dl-9']);
  expect(await messageCount(vim.queue)).toBe(2);
  expect(await messageCount(vim.deadLetterQueue)).toBe(1);
  const bodies = await withChannel(async (ch) => {
    const out: { body: string; headers: Record<string, unknown> }[] = [];
    for (let m = await ch.get(vim.queue, { noAck: true }); m; m = await ch.get(vim.queue, { noAck: true }))
      out.push({ body: m.content.toString(), headers: m.properties.headers ?? {} });
    return out;
  });
  expect(bodies.map((b) => /m-[01]/.exec(b.body)?.[0]).sort()).toEqual(['m-0', 'm-1']);
  // The dead-lettering's reason headers are gone; when it was re-driven is said.
  expect(bodies[0].headers).not.toHaveProperty('x-relay-reason-code');
  expect(bodies[0].headers).toHaveProperty('x-relay-redriven-at');
});

it('the deadletters command lists and re-drives, on the VIM as the config (or store) has it', async () => {
  const dir = tempDir('ver-dlq-cli-');
  const config = path.join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      store: { path: path.join(dir, 'none.json') },
      vims: [{ id: vim.id, transportUrl: rabbitUrl(), exchange: vim.exchange, queue: vim.queue }],
    }),
  );
  const list = await runCli(['deadletters', 'list', '--vim', vim.id, '--config', config]);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout)).toMatchObject({ total: 1, items: [{ id: 'dl-2', reasonCode: 'NOT_JSON' }] });
  const r = await runCli(['deadletters', 'redrive', '--vim', vim.id, '--config', config, '--all']);
  expect(JSON.parse(r.stdout)).toEqual({ vim: vim.id, redriven: ['dl-2'], missing: [] });
  expect(await messageCount(vim.deadLetterQueue)).toBe(0);
}, 30000);
