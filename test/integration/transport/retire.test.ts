/** Retiring a removed VIM's queue on the real RabbitMQ: unbind (messages kept, resumable) or purge. */
import { connect } from 'amqplib';
import { Amqp091Listener } from '../../../src/transport/amqp091/listener.js';
import { retireQueue } from '../../../src/transport/retire.js';
import type { VimConfig } from '../../../src/config/vim.js';
import type { Delivery } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import {
  amqpUrl,
  declareVim,
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  queueExists,
  tagOf,
  TestVims,
  withChannel,
} from '../../helpers/amqp.js';
import { captureLog } from '../../helpers/log-capture.js';
import { bindingsOf } from '../../helpers/rabbitmqctl.js';
import { waitFor } from '../../helpers/wait.js';
import { AMQP10_URL, relayTopology } from './amqp10/support.js';

const vims = new TestVims();
const listeners: Amqp091Listener[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await vims.removeAll();
});

async function publish(
  vim: VimConfig,
  tags: readonly (string | number)[],
  keys = ['notifications.info', 'versioned_notifications.error'],
): Promise<void> {
  await withChannel(async (ch) => {
    for (const t of tags) for (const k of keys) publishOslo(ch, vim.exchange, k, osloBody(`${t}-${k}`));
  });
}

describe('retireQueue', () => {
  it('unbinds every routing key: nothing new arrives, queued messages stay, re-adding the VIM resumes them', async () => {
    const vim = vims.vim();
    await declareVim(vim);
    await publish(vim, [1, 2]);
    expect(await messageCount(vim.queue)).toBe(4);
    const log = captureLog();

    const result = await retireQueue(vim, {}, log.logger);
    expect(result).toEqual({
      vimId: vim.id,
      purged: false,
      queues: [
        {
          queue: vim.queue,
          unbound: [
            'notifications.info',
            'notifications.error',
            'versioned_notifications.info',
            'versioned_notifications.error',
          ],
          messages: 4,
        },
      ],
    });
    expect(log.lines.find((l) => String(l.message).startsWith('queue retired'))).toMatchObject({
      queue: vim.queue,
      messages: 4,
    });
    await publish(vim, [3]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await messageCount(vim.queue)).toBe(4);

    // Re-adding the VIM: the listener declares and binds again and gets what was kept, then new ones.
    const got: Delivery[] = [];
    const listener = new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger());
    listeners.push(listener);
    void listener.start((d) => {
      got.push(d);
      d.ack();
    });
    await waitFor(() => got.length === 4, 'the 4 kept messages');
    await publish(vim, [4]);
    await waitFor(() => got.length === 6, '2 new ones');
    expect(got.map(tagOf).slice(4).sort()).toEqual(['msg-4-notifications.info', 'msg-4-versioned_notifications.error']);
  });

  it('with purge deletes the queue and its dead-letter queue, and says how many messages went with them', async () => {
    const vim = vims.vim();
    await declareVim(vim);
    await publish(vim, [1]);
    await withChannel(async (ch) => void ch.sendToQueue(vim.deadLetterQueue, Buffer.from('{}')));
    const result = await retireQueue(vim, { purge: true }, silentLogger());
    expect(result).toMatchObject({ purged: true, queues: [{ queue: vim.queue, messages: 2 }], deadLetterMessages: 1 });
    expect(await queueExists(vim.queue)).toBe(false);
    expect(await queueExists(vim.deadLetterQueue)).toBe(false);
  });

  it('with purge waits for the other consumers of the queue (replicas not yet stopped) to leave before deleting it', async () => {
    const vim = vims.vim();
    await declareVim(vim);
    await publish(vim, [1]);
    const other = await connect(amqpUrl());
    const ch = await other.createChannel();
    let held = 0;
    await ch.consume(vim.queue, () => held++, { noAck: false });
    await waitFor(() => held === 2, 'the other consumer holding both');

    const retiring = retireQueue(vim, { purge: true, othersGoneWithinMs: 20000 }, silentLogger());
    await waitFor(async () => (await bindingsOf(vim.queue)).length === 0, 'the queue unbound');
    expect(await queueExists(vim.queue)).toBe(true);
    await other.close();
    // What the consumer held went back to the queue, and is deleted with it (purge), not under it.
    expect(await retiring).toMatchObject({ purged: true, queues: [{ queue: vim.queue, messages: 2 }] });
    expect(await queueExists(vim.queue)).toBe(false);
  });

  it('keeps the queue, bound, when the VIM is registered again while the retire waits (re-added through another replica)', async () => {
    const vim = vims.vim();
    await declareVim(vim);
    const other = await connect(amqpUrl());
    const ch = await other.createChannel();
    await ch.consume(vim.queue, () => undefined, { noAck: false });
    let registered: VimConfig[] = [];

    const retiring = retireQueue(
      vim,
      { purge: true, othersGoneWithinMs: 20000, registered: () => registered },
      silentLogger(),
    );
    await waitFor(async () => (await bindingsOf(vim.queue)).length === 0, 'the queue unbound');
    registered = [vim];
    await other.close();
    expect(await retiring).toMatchObject({ purged: true, queues: [{ queue: vim.queue, kept: true }] });
    expect(await queueExists(vim.queue)).toBe(true);
    expect(await queueExists(vim.deadLetterQueue)).toBe(true);
    expect(await bindingsOf(vim.queue)).toHaveLength(4);
  });

  it('is harmless when nothing is there (already retired, exchange gone)', async () => {
    const vim = vims.vim();
    expect(await retireQueue(vim, {}, silentLogger())).toMatchObject({
      queues: [{ queue: vim.queue, messages: undefined }],
    });
    expect(await retireQueue(vim, { purge: true }, silentLogger())).toMatchObject({
      queues: [{ messages: undefined }],
      deadLetterMessages: undefined,
    });
  });

  it('AMQP 1.0 VIM on RabbitMQ: retires the queue its /amq/queue/ address names, over 0-9-1 on the same port', async () => {
    const { vim, names } = await relayTopology({ transportUrl: AMQP10_URL });
    vims.keep(names);
    await publish(vim, [1]);
    const result = await retireQueue(vim, {}, silentLogger());
    expect(result.queues).toEqual([expect.objectContaining({ queue: vim.queue, messages: 2 })]);
    await publish(vim, [2]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await messageCount(vim.queue)).toBe(2);
    await retireQueue(vim, { purge: true }, silentLogger());
    expect(await queueExists(vim.queue)).toBe(false);
  });

  it('AMQP 1.0 VIM on routable addresses (qpid-dispatch-router): nothing of ours to retire, no connection made', async () => {
    const vim = vims.vim({ transportUrl: 'amqp://u:p@127.0.0.1:1/', addresses: [] });
    expect(await retireQueue(vim, { purge: true }, silentLogger())).toEqual({
      vimId: vim.id,
      purged: false,
      queues: [],
    });
  });

  it('names the hosts when the broker cannot be reached', async () => {
    const vim = vims.vim({ transportUrl: 'rabbit://u:secret@127.0.0.1:1/' });
    await expect(retireQueue(vim, {}, silentLogger())).rejects.toMatchObject({
      code: 'BROKER_UNREACHABLE',
      message: expect.stringMatching(/^(?!.*secret).*127\.0\.0\.1:1/s),
    });
  });
});
