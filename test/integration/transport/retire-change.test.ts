/** Retiring what a changed VIM no longer reads, on the real RabbitMQ (the broker's own bindings via rabbitmqctl). */
import { connect, type ChannelModel } from 'amqplib';
import type { VimConfig } from '../../../src/config/vim.js';
import { MOVED_FROM_HEADER, retireChange } from '../../../src/transport/retire-change.js';
import { silentLogger } from '../../../src/util/logger.js';
import {
  amqpUrl,
  declareVim,
  messageCount,
  osloBody,
  publishOslo,
  queueExists,
  rabbitUrl,
  TestVims,
  uniqueName,
  withChannel,
} from '../../helpers/amqp.js';
import { bindingsOf } from '../../helpers/rabbitmqctl.js';

const vims = new TestVims();
const models: ChannelModel[] = [];

afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.close().catch(() => undefined)));
  await vims.removeAll();
});

/** The same VIM with other settings (and the names they bring along to clean up). */
function changed(vim: VimConfig, spec: Partial<VimConfig>): VimConfig {
  const next = { ...vim, ...spec };
  vims.keep({ queues: [next.queue, next.deadLetterQueue], exchanges: [next.exchange] });
  return next;
}

/** The same VIM reading other queues (and whatever else spec changes). */
const renamed = (vim: VimConfig, spec: Partial<VimConfig> = {}): VimConfig =>
  changed(vim, {
    ...spec,
    queue: uniqueName('relay-test-q2'),
    deadLetterQueue: uniqueName('relay-test-q2-dead'),
  });

const publish = (vim: VimConfig, tags: readonly (string | number)[], key = 'notifications.info') =>
  withChannel(async (ch) => {
    for (const t of tags) publishOslo(ch, vim.exchange, key, osloBody(t));
  });

const OPTS = { othersGoneWithinMs: 3000 };

describe('retireChange', () => {
  it('a renamed queue on another broker address: backlog moved with its routing key, old queues deleted', async () => {
    const old = vims.vim();
    // localhost is another host to the relay: the copies go over a second connection.
    const next = renamed(old, { transportUrl: rabbitUrl('localhost:5672') });
    await declareVim(old);
    await publish(old, [1, 2, 3]);
    await publish(old, [4], 'versioned_notifications.error');

    const result = await retireChange(old, next, OPTS, silentLogger());
    expect(result).toEqual([
      expect.objectContaining({ queue: old.queue, moved: 4, movedTo: next.queue, deleted: true }),
    ]);
    expect(await queueExists(old.queue)).toBe(false);
    expect(await queueExists(old.deadLetterQueue)).toBe(false);
    expect(await messageCount(next.queue)).toBe(4);
    const moved = await withChannel(async (ch) => {
      const got = [];
      for (let m = await ch.get(next.queue); m; m = await ch.get(next.queue)) got.push(m);
      return got;
    });
    expect(
      moved.map((m) => [m.properties.headers?.['x-relay-routing-key'], m.properties.headers?.[MOVED_FROM_HEADER]]),
    ).toEqual([
      ['notifications.info', old.queue],
      ['notifications.info', old.queue],
      ['notifications.info', old.queue],
      ['versioned_notifications.error', old.queue],
    ]);
    expect(moved.every((m) => m.properties.deliveryMode === 2 && m.properties.contentType === 'application/json')).toBe(
      true,
    );
  });

  it('keeps an old dead-letter queue that holds messages', async () => {
    const old = vims.vim();
    const next = renamed(old);
    await declareVim(old);
    await withChannel(async (ch) => void ch.sendToQueue(old.deadLetterQueue, Buffer.from('{}')));
    await retireChange(old, next, OPTS, silentLogger());
    expect(await queueExists(old.queue)).toBe(false);
    expect(await messageCount(old.deadLetterQueue)).toBe(1);
  });

  it('a changed exchange and a dropped priority: only the bindings the VIM no longer makes go', async () => {
    const old = vims.vim();
    await declareVim(old);
    const sameExchange = changed(old, { priorities: ['info'] });
    await retireChange(old, sameExchange, OPTS, silentLogger());
    expect(await bindingsOf(old.queue)).toEqual([
      `${old.exchange} notifications.info`,
      `${old.exchange} versioned_notifications.info`,
    ]);

    const otherExchange = changed(sameExchange, { exchange: uniqueName('relay-test-x2') });
    await declareVim(otherExchange);
    await retireChange(sameExchange, otherExchange, OPTS, silentLogger());
    expect(await bindingsOf(old.queue)).toEqual([
      `${otherExchange.exchange} notifications.info`,
      `${otherExchange.exchange} versioned_notifications.info`,
    ]);
    expect(await queueExists(old.queue)).toBe(true);
  });

  it('does not delete the old queue under a consumer (a replica not yet stopped): unbound, left, and what that consumer requeues stays', async () => {
    const old = vims.vim();
    const next = renamed(old);
    await declareVim(old);
    await publish(old, [1, 2]);
    const other = await connect(amqpUrl());
    models.push(other);
    const ch = await other.createChannel();
    await ch.prefetch(1);
    let held = 0;
    await ch.consume(old.queue, () => held++, { noAck: false });

    const result = await retireChange(old, next, { othersGoneWithinMs: 500 }, silentLogger());
    expect(result).toEqual([expect.objectContaining({ queue: old.queue, moved: 1, deleted: false })]);
    expect(held).toBe(1);
    expect(await bindingsOf(old.queue)).toEqual([]);
    await other.close();
    // The other consumer's delivery is back in the old queue; a later retire moves it.
    expect(await retireChange(old, next, OPTS, silentLogger())).toEqual([
      expect.objectContaining({ moved: 1, deleted: true }),
    ]);
    expect(await messageCount(next.queue)).toBe(2);
  });

  it('the same queue at another address of the same broker: nothing moved into itself, nothing deleted, bound as the VIM now binds it', async () => {
    const old = vims.vim();
    const next = changed(old, { transportUrl: rabbitUrl('localhost:5672') });
    await declareVim(old);
    await publish(old, [1, 2, 3]);
    expect(await retireChange(old, next, OPTS, silentLogger())).toEqual([
      expect.objectContaining({ queue: old.queue, moved: 0, deleted: false }),
    ]);
    expect(await messageCount(old.queue)).toBe(3);
    expect(await bindingsOf(old.queue)).toHaveLength(4);
  });

  it('an old transport_url that no longer parses (stored by an older version): nothing it ever read, nothing to do', async () => {
    const next = vims.vim();
    const old = {
      ...next,
      transportUrl: 'rabbit://guest:guest@127.0.0.1:notaport/',
      queue: uniqueName('relay-test-q0'),
    };
    expect(await retireChange(old, next, OPTS, silentLogger())).toEqual([]);
  });

  it('nothing it reads changed (another password, a new delivery limit): nothing to do', async () => {
    const old = vims.vim();
    const next = changed(old, {
      transportUrl: old.transportUrl.replace('guest:guest', 'guest:other'),
      deliveryLimit: 5,
    });
    expect(await retireChange(old, next, OPTS, silentLogger())).toEqual([]);
  });
});
