/**
 * Connecting, failing over, losing and regaining the broker: status reporting and reconnects
 * of Amqp10Listener against the local RabbitMQ (directly or through a cuttable TCP proxy).
 */
import type { ListenerStatusChange } from '../../../../src/transport/types.js';
import { messageCount, statusLog, uniqueName, withChannel } from '../../../helpers/amqp.js';
import { startTcpProxy, type TcpProxy } from '../../../helpers/tcp-proxy.js';
import { sleep, waitFor } from '../../../helpers/wait.js';
import { BROKER, Harness, collect, publishRaw } from './support.js';

const h = new Harness();
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await h.dispose();
  await proxy?.close();
  proxy = undefined;
});

const body = (n: number) =>
  Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': `{"message_id":"m-${n}"}` }));

describe('Amqp10Listener connections', () => {
  it('fails over: with a dead first host it connects through the second, PENDING -> REACHABLE', async () => {
    const { vim } = await h.topology({ transportUrl: `amqp://guest:guest@127.0.0.1:1,guest:guest@${BROKER}` });
    const listener = h.listener(vim);
    const seen = statusLog(listener);
    const got = await collect(listener);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE');
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
    await publishRaw(vim, 'notifications.info', [body(1)]);
    await waitFor(() => got.length === 1, 'a delivery via the second host');
  });

  it('reports UNREACHABLE with a redacted reason when no host answers, and keeps retrying', async () => {
    proxy = await startTcpProxy(5672);
    proxy.pause();
    const { vim } = await h.topology({
      transportUrl: `amqp://guest:TopSecret99@127.0.0.1:1,guest:guest@127.0.0.1:${proxy.port}/`,
    });
    const listener = h.listener(vim, { reconnectInitialMs: 20, reconnectMaxMs: 60 });
    const changes: ListenerStatusChange[] = [];
    listener.on('status', (s: ListenerStatusChange) => changes.push(s));
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(changes.map((c) => c.status)).toEqual(['UNREACHABLE']);
    expect(changes[0].reason).toMatch(/127\.0\.0\.1:(1|\d+)/);
    expect(JSON.stringify(listener.status)).not.toContain('TopSecret99');
    const before = proxy.attempts;
    await waitFor(() => proxy!.attempts >= before + 3, 'three more attempts');

    proxy.resume();
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE once the broker answers', 10000);
    expect(changes.map((c) => c.status)).toEqual(['UNREACHABLE', 'REACHABLE']);
    expect(listener.status.reason).toBeUndefined();
  });

  it('reports a refused login as UNREACHABLE without the password', async () => {
    const { vim } = await h.topology({ transportUrl: `amqp://guest:WrongPass77@${BROKER}/` });
    const listener = h.listener(vim);
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toMatch(/Failed to authenticate/);
    expect(JSON.stringify(listener.status)).not.toContain('WrongPass77');
  });

  it('connects with SASL ANONYMOUS when the URL has no credentials', async () => {
    const { vim } = await h.topology({ transportUrl: `amqp://${BROKER}/` });
    const listener = h.listener(vim);
    const got = await collect(listener);
    expect(listener.status.status).toBe('REACHABLE');
    await publishRaw(vim, 'notifications.info', [body(1)]);
    await waitFor(() => got.length === 1, 'a delivery');
  });

  it("declares the VIM's own queue when its address reads it (RabbitMQ), as a 0-9-1 VIM does", async () => {
    const { vim } = await h.topology();
    await withChannel((ch) => ch.deleteQueue(vim.queue));
    const listener = h.listener(vim);
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE', 10000);
    expect(await messageCount(vim.queue)).toBe(0); // it exists again
  });

  it("is UNREACHABLE while a queue its addresses name (not its own: the operator's) is missing, and REACHABLE once it is declared", async () => {
    const { vim } = await h.topology();
    const other = uniqueName('relay10-other');
    const reading = { ...vim, addresses: [`/amq/queue/${other}`] };
    const listener = h.listener(reading);
    await listener.start(() => undefined);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toContain(`NOT_FOUND - no queue '${other}'`);
    await withChannel((ch) => ch.assertQueue(other, { durable: true }));
    try {
      await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE', 10000);
    } finally {
      await withChannel((ch) => ch.deleteQueue(other));
    }
  });

  it('goes UNREACHABLE when the connection drops, reconnects, and gets the unsettled again', async () => {
    proxy = await startTcpProxy(5672);
    const { vim } = await h.topology({ transportUrl: `amqp://guest:guest@127.0.0.1:${proxy.port}/` });
    const listener = h.listener(vim);
    const seen = statusLog(listener);
    let unsettledAtDrop: number | undefined;
    listener.on('status', (s: ListenerStatusChange) => {
      if (s.status === 'UNREACHABLE') unsettledAtDrop = listener.unsettled();
    });
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [body(1), body(2)]);
    await waitFor(() => got.length === 2, '2 deliveries');
    got[0].ack();
    await sleep(100);

    proxy.cutAll();
    await waitFor(() => unsettledAtDrop !== undefined, 'UNREACHABLE');
    expect(unsettledAtDrop).toBe(0);
    got[1].ack(); // the link died: a no-op, the broker redelivers it
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE again', 10000);
    expect(seen).toEqual(['PENDING', 'REACHABLE', 'UNREACHABLE', 'REACHABLE']);
    await waitFor(() => got.length === 3, 'the redelivery');
    expect(got[2].body).toEqual(body(2));
    expect(got[2].redelivered).toBe(true);
    got[2].ack();
    await listener.close();
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('stops reconnecting after close()', async () => {
    proxy = await startTcpProxy(5672);
    proxy.pause();
    const { vim } = await h.topology({ transportUrl: `amqp://guest:guest@127.0.0.1:${proxy.port}/` });
    const listener = h.listener(vim, { reconnectInitialMs: 20, reconnectMaxMs: 40 });
    await listener.start(() => undefined);
    await waitFor(() => proxy!.attempts >= 2, 'a retry');
    await listener.close();
    // An attempt whose TCP connect was already under way when close() aborted it may still be
    // accepted by the proxy a tick later; a reconnect loop still running (every 20-40 ms) would
    // show as many more within the 400 ms below.
    await sleep(100);
    const after = proxy.attempts;
    await sleep(400);
    expect(proxy.attempts).toBe(after);
  });
});
