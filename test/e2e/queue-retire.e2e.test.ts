/**
 * Queues left behind on a VIM's broker, against the built daemon and the real RabbitMQ:
 *  - two replicas on one PostgreSQL store; one deletes the VIM with purge while the other, whose
 *    store link is held up, still consumes its queue: no queue comes back (the other replica
 *    must not re-declare it, and the queue is not deleted under its consumer);
 *  - a PUT that renames the queue while notifications wait in it (DMaaP refusing, so they are
 *    held and then requeued at the change): they are relayed from the new queue, and the old
 *    one is deleted;
 *  - a PUT that drops a priority: its binding goes.
 * The broker's own view is read with rabbitmqctl (bindings) and passive declares.
 */
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { spawnDaemon, stopDaemon, type SpawnedDaemon } from '../helpers/daemon.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { bindingsOf } from '../helpers/rabbitmqctl.js';
import { api, messageIds, powerOff, replicaConfig } from '../helpers/replicas.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(90000);

const exists = (queue: string) =>
  withChannel((ch) =>
    ch.checkQueue(queue).then(
      () => true,
      () => false,
    ),
  );

const publish = (exchange: string, ids: readonly string[], key = 'versioned_notifications.info') =>
  withChannel(async (ch) => {
    for (const id of ids) publishOslo(ch, exchange, key, powerOff(id));
    await ch.waitForConfirms();
  });

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

let dmaap: FaultServer | undefined;
let db: TestDatabase | undefined;
let daemons: SpawnedDaemon[] = [];
let proxy: TcpProxy | undefined;
let garbage: { queues: string[]; exchanges: string[] } = { queues: [], exchanges: [] };

afterEach(async () => {
  for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) await stopDaemon(d);
  daemons = [];
  await dmaap?.close();
  dmaap = undefined;
  await proxy?.close();
  proxy = undefined;
  await db?.drop();
  db = undefined;
  await cleanup(garbage);
  garbage = { queues: [], exchanges: [] };
});

test('replicas: a VIM deleted with purge through one leaves no queue behind, though the other still consumed it', async () => {
  db = await createTestDatabase();
  dmaap = await startFaultServer();
  proxy = await startTcpProxy(5432);
  const vimId = uniqueName('ret');
  const exchange = uniqueName('nova-ret');
  const queue = `vim-event-relay.${vimId}`;
  garbage = { queues: [queue, `${queue}.dead`], exchanges: [exchange] };
  await withChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: false }));
  const setup = { storeUrl: db.url, dmaapUrl: dmaap.url, vimId, exchange, topic: `T_${vimId}` };
  const a = await spawnDaemon(replicaConfig(setup));
  daemons = [a];
  // B reads the store through a proxy: it is the replica that sees the removal late.
  const b = await spawnDaemon(replicaConfig({ ...setup, storeUrl: db.urlVia(proxy.port) }));
  daemons.push(b);
  for (const d of daemons)
    await waitFor(async () => (await api(d, 'GET', `/api/v1/vims/${vimId}`)).body?.status === 'REACHABLE', 'REACHABLE');
  await waitFor(async () => (await withChannel((ch) => ch.checkQueue(queue))).consumerCount === 2, 'both consuming');

  proxy.freezeAll();
  proxy.pause();
  const deleting = api(a, 'DELETE', `/api/v1/vims/${vimId}?purge=true`);
  // Either A has unbound the queue and waits for B's consumer to go, or (before the fix) it
  // deleted the queue at once and B, told by the broker, declared it again.
  await waitFor(
    async () =>
      b.lines.some((l) => String(l.message).includes('cancelled the consumer')) ||
      ((await exists(queue)) && (await bindingsOf(queue)).length === 0),
    'A retiring the queue while B still consumes it',
  );
  proxy.cutAll();
  proxy.resume();
  expect((await deleting).status).toBe(204);
  await waitFor(
    () => b.lines.some((l) => l.message === 'listener closed' && l.vim === vimId),
    "B's listener closed once B saw the removal",
  );

  expect(await exists(queue)).toBe(false);
  expect(await bindingsOf(queue)).toEqual([]);
  expect(b.lines.filter((l) => String(l.message).includes('declaring again'))).toEqual([]);
});

async function oneDaemon(vimId: string, exchange: string, topic: string, vim: Record<string, unknown> = {}) {
  dmaap = await startFaultServer();
  const d = await spawnDaemon({
    dmaap: { url: dmaap.url, timeoutMs: 2000 },
    publish: { retryInitialMs: 50, retryMaxMs: 300 },
    transport: { prefetch: 10, reconnectInitialMs: 50, reconnectMaxMs: 400 },
    shutdown: { timeoutMs: 1000 },
    vims: [{ id: vimId, transportUrl: rabbitUrl(), exchange, ...vim }],
    subscriptions: [{ id: `${vimId}-all`, vimId, states: ['*'], topic }],
  });
  daemons = [d];
  await waitFor(async () => (await api(d, 'GET', `/api/v1/vims/${vimId}`)).body?.status === 'REACHABLE', 'REACHABLE');
  return d;
}

test('a PUT that renames the queue relays what waited in the old one, and deletes it', async () => {
  const vimId = uniqueName('mv');
  const exchange = uniqueName('nova-mv');
  const oldQueue = `vim-event-relay.${vimId}`;
  const newQueue = `${oldQueue}.v2`;
  const topic = `T_${vimId}`;
  garbage = { queues: [oldQueue, `${oldQueue}.dead`, newQueue, `${newQueue}.dead`], exchanges: [exchange] };
  await withChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: false }));
  const d = await oneDaemon(vimId, exchange, topic);
  // DMaaP refuses: the first prefetch are held, the rest wait in the queue.
  dmaap!.fallback = { kind: 'respond', status: 503 };
  const before = ids('before', 30);
  await publish(exchange, before);
  await waitFor(() => dmaap!.requests.length > 0, 'the relay trying DMaaP');

  const put = await api(d, 'PUT', `/api/v1/vims/${vimId}`, { transportUrl: rabbitUrl(), exchange, queue: newQueue });
  expect(put.status).toBe(200);
  dmaap!.fallback = { kind: 'accept' };
  const after = ids('after', 5);
  await publish(exchange, after);

  await waitFor(() => {
    const got = new Set(messageIds(dmaap!.accepted(topic)));
    return [...before, ...after].every((id) => got.has(id));
  }, 'every notification, from before and after the change, relayed');
  expect(await exists(oldQueue)).toBe(false);
  expect(await bindingsOf(oldQueue)).toEqual([]);
  expect(await bindingsOf(newQueue)).toEqual([
    `${exchange} notifications.error`,
    `${exchange} notifications.info`,
    `${exchange} versioned_notifications.error`,
    `${exchange} versioned_notifications.info`,
  ]);
});

test('a PUT that drops a priority unbinds its routing keys', async () => {
  const vimId = uniqueName('pri');
  const exchange = uniqueName('nova-pri');
  const queue = `vim-event-relay.${vimId}`;
  const topic = `T_${vimId}`;
  garbage = { queues: [queue, `${queue}.dead`], exchanges: [exchange] };
  await withChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: false }));
  const d = await oneDaemon(vimId, exchange, topic);
  expect(await bindingsOf(queue)).toHaveLength(4);

  const put = await api(d, 'PUT', `/api/v1/vims/${vimId}`, {
    transportUrl: rabbitUrl(),
    exchange,
    priorities: ['info'],
  });
  expect(put.status).toBe(200);
  expect(await bindingsOf(queue)).toEqual([
    `${exchange} notifications.info`,
    `${exchange} versioned_notifications.info`,
  ]);
});
