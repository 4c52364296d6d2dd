/**
 * The rules the connection supervisor settles for both protocols, against the local RabbitMQ:
 * a throwing delivery handler requeues, a second start() rejects, status events come once per
 * change, log lines name the VIM as `vim`.
 */
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { routingKeys, type VimConfig } from '../../../src/config/vim.js';
import { createListener } from '../../../src/transport/create-listener.js';
import type { Delivery, VimListener } from '../../../src/transport/types.js';
import { silentLogger, type Logger } from '../../../src/util/logger.js';
import {
  cleanup,
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  statusLog,
  tagOf,
  testVim,
  uniqueName,
  withChannel,
} from '../../helpers/amqp.js';
import { waitFor } from '../../helpers/wait.js';

const listeners: VimListener[] = [];
const garbage: { queues: string[]; exchanges: string[] }[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const names of garbage.splice(0)) await cleanup(names);
});

/** A VIM of the given scheme with its queue declared and bound (RabbitMQ 3.x cannot declare it over 1.0). */
async function vimFor(scheme: string): Promise<VimConfig> {
  const queue = uniqueName('relay-sup-q');
  const { vim, names } = testVim({
    transportUrl: `${scheme}://guest:guest@127.0.0.1:5672/`,
    queue,
    addresses: scheme === 'amqp' ? [`/amq/queue/${queue}`] : [],
  });
  garbage.push(names);
  await withChannel(async (ch) => {
    await ch.assertExchange(vim.exchange, 'topic', { durable: false, autoDelete: false });
    await ch.assertQueue(vim.queue, { durable: true });
    await ch.assertQueue(vim.deadLetterQueue, { durable: true });
    for (const key of routingKeys(vim)) await ch.bindQueue(vim.queue, vim.exchange, key);
  });
  return vim;
}

function listen(vim: VimConfig, logger: Logger = silentLogger()): VimListener {
  const l = createListener(vim, FAST_TRANSPORT, logger);
  listeners.push(l);
  return l;
}

const publish = (vim: VimConfig, tag: string) =>
  withChannel(async (ch) => void publishOslo(ch, vim.exchange, 'notifications.info', osloBody(tag)));

describe.each([['rabbit'], ['amqp']])('%s:// listener', (scheme) => {
  it('requeues the delivery of a handler that throws, and it comes back redelivered', async () => {
    const vim = await vimFor(scheme);
    const l = listen(vim);
    const seen: Delivery[] = [];
    await l.start((d) => {
      seen.push(d);
      if (seen.length === 1) throw new Error('pipeline bug');
      d.ack();
    });
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    await publish(vim, 'boom');
    await waitFor(() => seen.length === 2, 'the redelivery');
    expect(seen.map(tagOf)).toEqual(['msg-boom', 'msg-boom']);
    expect(seen[1].redelivered).toBe(true);
    await l.close();
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('start() twice rejects with a clear error; the first start goes on consuming', async () => {
    const vim = await vimFor(scheme);
    const l = listen(vim);
    const seen = statusLog(l);
    const got: Delivery[] = [];
    await l.start((d) => got.push(d));
    await expect(l.start(() => undefined)).rejects.toThrow(
      `the listener for VIM ${vim.id} was already started; a listener starts once`,
    );
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    await publish(vim, 'once');
    await waitFor(() => got.length === 1, 'a delivery');
    got[0].ack();
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
  });

  it('logs with the field vim, never vimId', async () => {
    const vim = await vimFor(scheme);
    const lines: Record<string, unknown>[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) =>
      c
        .toString()
        .split('\n')
        .filter(Boolean)
        .forEach((x) => lines.push(JSON.parse(x) as Record<string, unknown>)),
    );
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream })],
    });
    const l = listen(vim, logger);
    await l.start(() => {
      throw new Error('pipeline bug');
    });
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    await publish(vim, 'log');
    await waitFor(() => lines.some((x) => String(x.message).includes('handler threw')), 'the handler line');
    await l.close();
    await waitFor(() => lines.some((x) => x.message === 'listener closed'), 'the close line');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).toMatchObject({ vim: vim.id, transport: scheme === 'rabbit' ? 'amqp091' : 'amqp10' });
      expect(line).not.toHaveProperty('vimId');
    }
  });
});
