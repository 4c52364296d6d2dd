/**
 * Overlapping changes of one VIM, against the built daemon, the real broker and a slow DMaaP:
 * changes are serialised, a listener is stopped before its replacement starts, and nothing is
 * consumed for a VIM that is no longer registered. Consumers are counted by the broker itself.
 */
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { powerOffV2 } from '../helpers/fixtures.js';
import { spawnDaemon, stopDaemon, type SpawnedDaemon } from '../helpers/daemon.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const vim = uniqueName('chg');
const exchange = uniqueName('nova-chg');
const queue = `vim-event-relay.${vim}`;
const topic = `T_${vim}`;
let dmaap: FaultServer;
let daemon: SpawnedDaemon;

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${daemon.adminUrl}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const powerOff = (id: string) => powerOffV2(id);
const publish = (ids: readonly string[]) =>
  withChannel(async (ch) => {
    for (const id of ids) publishOslo(ch, exchange, 'versioned_notifications.info', powerOff(id));
  });
const vimBody = (i: number) => ({
  transportUrl: rabbitUrl(),
  exchange,
  priorities: i % 2 ? ['info', 'error'] : ['info', 'error', 'warn'],
});
const consumers = async () => (await queueCounts(queue))?.consumers;

beforeAll(async () => {
  dmaap = await startFaultServer();
  // Slow: every change of the VIM has notifications in flight to drain.
  dmaap.fallback = { kind: 'accept', delayMs: 400 };
  daemon = await spawnDaemon({
    dmaap: { url: dmaap.url },
    publish: { retryInitialMs: 50, retryMaxMs: 200 },
    shutdown: { timeoutMs: 5000 },
    vims: [{ id: vim, transportUrl: rabbitUrl(), exchange }],
    subscriptions: [{ id: `${vim}-all`, vimId: vim, states: ['*'], topic }],
  });
  await waitFor(async () => (await api('GET', `/api/v1/vims/${vim}`)).body?.status === 'REACHABLE', 'VIM reachable');
});

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await dmaap?.close();
  await cleanup({ queues: [queue, `${queue}.dead`], exchanges: [exchange] });
});

test('20 parallel PUTs that each change the VIM, with notifications in flight: one consumer afterwards, nothing lost', async () => {
  const ids = Array.from({ length: 30 }, (_, i) => `par-${i}`);
  await publish(ids);
  await waitFor(() => dmaap.requests.length > 0, 'DMaaP busy');
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => api('PUT', `/api/v1/vims/${vim}`, vimBody(i))),
  );
  expect(answers.map((a) => a.status).sort()).toEqual(Array(20).fill(200));
  await waitFor(
    async () => (await api('GET', `/api/v1/vims/${vim}`)).body?.status === 'REACHABLE',
    'VIM reachable again',
  );
  await sleep(500);
  expect(await consumers()).toBe(1);
  // Requeued on each stop, redelivered on each start: every notification reaches DMaaP.
  await waitFor(
    () => ids.every((id) => dmaap.accepted(topic).some((m) => JSON.parse(m).message_id === id)),
    'every notification published',
    60000,
  );
});

test('PUTs racing DELETEs: whatever order they land in, the end state has as many consumers as VIMs; nothing acked after the last DELETE', async () => {
  const racing = await Promise.all([
    api('PUT', `/api/v1/vims/${vim}`, vimBody(7)),
    api('DELETE', `/api/v1/vims/${vim}`),
    api('PUT', `/api/v1/vims/${vim}`, vimBody(8)),
    api('DELETE', `/api/v1/vims/${vim}`),
  ]);
  for (const r of racing) expect([200, 201, 204, 404]).toContain(r.status);
  await sleep(500);
  const exists = (await api('GET', `/api/v1/vims/${vim}`)).status === 200;
  if (exists) await waitFor(async () => (await consumers()) === 1, 'the registered VIM consumes once');
  expect(await consumers()).toBe(exists ? 1 : 0);

  if (exists) expect((await api('DELETE', `/api/v1/vims/${vim}`)).status).toBe(204);
  expect((await api('GET', `/api/v1/vims/${vim}`)).status).toBe(404);
  expect(await consumers()).toBeFalsy();
  const before = dmaap.requests.length;
  await publish(['after-delete-1', 'after-delete-2']);
  await sleep(1500);
  expect(await consumers()).toBeFalsy();
  expect(dmaap.requests.length).toBe(before);
});
