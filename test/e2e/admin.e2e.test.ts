/**
 * The admin API against the built daemon, the real broker and dmaap-dev: VIMs and subscriptions
 * changed live take effect without a restart, persist across one, and no secret ever shows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { powerOffV2 } from '../helpers/fixtures.js';
import { freePort, spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const TOKEN = 'admin-token-5e3f9a';
const PASSWORD = 'guest'; // the local broker's; the URL below spells it, and it must never come back
const dir = tempDir('ver-admin-e2e-');
const vimA = uniqueName('adm-a');
const vimB = uniqueName('adm-b');
const exA = uniqueName('nova-adm-a');
const exB = uniqueName('nova-adm-b');
const topic = `T_${vimB}`;
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon;
let all = '';

const api = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
  const res = await fetch(`${daemon.adminUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  all += text;
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

async function start(): Promise<SpawnedDaemon> {
  return spawnDaemon(
    {
      admin: { host: '127.0.0.1', port: 0, authToken: TOKEN },
      dmaap: { url: dmaap.url },
      publish: { retryInitialMs: 50, retryMaxMs: 500 },
      vims: [{ id: vimA, transportUrl: rabbitUrl(), exchange: exA }],
      subscriptions: [],
    },
    { dir },
  );
}

const powerOff = (id: string) => powerOffV2(id);

beforeAll(async () => {
  dmaap = await startDmaapDevProcess(await freePort());
  daemon = await start();
});

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await dmaap?.stop();
  await cleanup({
    queues: [
      `vim-event-relay.${vimA}`,
      `vim-event-relay.${vimA}.dead`,
      `vim-event-relay.${vimB}`,
      `vim-event-relay.${vimB}.dead`,
    ],
    exchanges: [exA, exB],
  });
});

test('needs the bearer token under /api/, not for probes', async () => {
  expect((await api('GET', '/api/v1/vims', undefined, null)).status).toBe(401);
  expect((await api('GET', '/api/v1/vims', undefined, 'wrong-token')).status).toBe(401);
  expect((await api('GET', '/healthz', undefined, null)).status).toBe(200);
  const vims = await api('GET', '/api/v1/vims');
  expect(vims.status).toBe(200);
  expect(vims.body).toEqual([
    expect.objectContaining({ id: vimA, transportUrl: 'rabbit://guest:***@127.0.0.1:5672/' }),
  ]);
});

test('a VIM added live starts consuming; a subscription added live applies to the next message', async () => {
  const put = await api('PUT', `/api/v1/vims/${vimB}`, { transportUrl: rabbitUrl(), exchange: exB });
  expect(put.status).toBe(201);
  await waitFor(async () => (await api('GET', `/api/v1/vims/${vimB}`)).body.status === 'REACHABLE', 'VIM B reachable');
  const b = (await api('GET', `/api/v1/vims/${vimB}`)).body;
  expect(b).toMatchObject({ id: vimB, status: 'REACHABLE', queue: `vim-event-relay.${vimB}` });
  expect(Date.parse(b.statusSince)).not.toBeNaN();

  // No subscription yet: consumed and filtered, published nowhere, but remembered for check_vim_status.
  await withChannel(async (ch) => void publishOslo(ch, exB, 'versioned_notifications.info', powerOff('before-sub')));
  await waitFor(async () => (await queueCounts(`vim-event-relay.${vimB}`))?.ready === 0, 'B drained');

  expect(
    (await api('PUT', `/api/v1/subscriptions/${vimB}-power`, { vimId: vimB, states: ['power_off'], topic })).status,
  ).toBe(201);
  await withChannel(async (ch) => void publishOslo(ch, exB, 'versioned_notifications.info', powerOff('after-sub')));
  const got = await consume(dmaap.url, topic, 1);
  expect(got.map((m) => m.message_id)).toEqual(['after-sub']);

  const recent = await api('POST', `/api/multicloud-vio/v0/${vimB}/check_vim_status`, { states: ['POWER_OFF'] });
  expect(recent.status).toBe(200);
  expect(recent.body.map((c: { event: string }) => c.event)).toEqual(['POWER_OFF', 'POWER_OFF']);
  expect(Object.keys(recent.body[0]).sort()).toEqual([
    'display_name',
    'event',
    'instance_id',
    'launched_at',
    'state',
    'state_description',
    'timestamp',
  ]);
});

test('deleting a VIM stops its listener, removes its subscriptions and unbinds its queue; purge deletes the queues', async () => {
  expect((await api('DELETE', `/api/v1/vims/${vimB}`)).status).toBe(204);
  expect((await api('GET', `/api/v1/vims/${vimB}`)).status).toBe(404);
  expect((await api('GET', `/api/v1/subscriptions?vimId=${vimB}`)).body).toEqual([]);
  await waitFor(async () => (await queueCounts(`vim-event-relay.${vimB}`))?.consumers === 0, 'no consumer left on B');
  // Unbound: nova's next notification is no longer routed to the queue, which stays (with what it held).
  await withChannel(async (ch) => void publishOslo(ch, exB, 'versioned_notifications.info', powerOff('after-delete')));
  await sleep(1000);
  expect(await queueCounts(`vim-event-relay.${vimB}`)).toMatchObject({ ready: 0, consumers: 0 });
  expect(
    daemon.lines.some((l) => /queue retired: unbound/.test(l.message) && l.queue === `vim-event-relay.${vimB}`),
  ).toBe(true);

  // Added again, it binds and consumes again; deleted with purge, its queues go.
  expect((await api('PUT', `/api/v1/vims/${vimB}`, { transportUrl: rabbitUrl(), exchange: exB })).status).toBe(201);
  await waitFor(async () => (await queueCounts(`vim-event-relay.${vimB}`))?.consumers === 1, 'B consumes again');
  expect((await api('DELETE', `/api/v1/vims/${vimB}?purge=true`)).status).toBe(204);
  await waitFor(async () => (await queueCounts(`vim-event-relay.${vimB}`)) === undefined, "B's queue deleted");
  expect(await queueCounts(`vim-event-relay.${vimB}.dead`)).toBeUndefined();
  expect((await api('DELETE', `/api/v1/vims/${vimA}?purge=maybe`)).status).toBe(400);
});

test('what the API changed survives a restart of the daemon; the config does not re-seed', async () => {
  expect(
    (await api('PUT', `/api/v1/subscriptions/${vimA}-all`, { vimId: vimA, states: ['*'], topic: `T_${vimA}` })).status,
  ).toBe(201);
  expect(await stopDaemon(daemon)).toBe(0);
  all += daemon.output();
  daemon = await start();
  expect((await api('GET', '/api/v1/vims')).body.map((v: { id: string }) => v.id)).toEqual([vimA]);
  expect((await api('GET', `/api/v1/subscriptions/${vimA}-all`)).body).toEqual({
    id: `${vimA}-all`,
    vimId: vimA,
    states: ['*'],
    topic: `T_${vimA}`,
  });
  expect(daemon.lines.some((l) => /store loaded/.test(l.message))).toBe(true);
});

test('a stored VIM whose transport_url no longer parses is UNREACHABLE with the reason; the daemon and the other VIMs run on', async () => {
  expect(await stopDaemon(daemon)).toBe(0);
  all += daemon.output();
  // As an older version that checked less could have stored it.
  const storePath = path.join(dir, 'state.json');
  const state = JSON.parse(readFileSync(storePath, 'utf8'));
  state.vims.push({
    id: 'stale',
    transportUrl: 'amqp://nova:hunter2-secret@127.0.0.1:1/?heartbeat_timeout_threshold=abc',
  });
  writeFileSync(storePath, JSON.stringify(state));
  daemon = await start();
  await waitFor(
    async () => (await api('GET', `/api/v1/vims/${vimA}`)).body.status === 'REACHABLE',
    'the other VIM consumes',
  );
  const stale = (await api('GET', '/api/v1/vims/stale')).body;
  expect(stale).toMatchObject({
    status: 'UNREACHABLE',
    statusReason:
      'transportUrl: heartbeat_timeout_threshold "abc" is not a whole number of seconds; write e.g. heartbeat_timeout_threshold=60 (0 disables heartbeats); correct it with PUT /api/v1/vims/stale',
  });
  expect((await api('DELETE', '/api/v1/vims/stale')).status).toBe(204);
});

test('no log line and no answer of this whole run shows a password or the token', async () => {
  await api('PUT', '/api/v1/vims/bad', { transportUrl: 'rabbit://nova:hunter2-secret@127.0.0.1:1/' });
  await waitFor(
    async () => (await api('GET', '/api/v1/vims/bad')).body.status === 'UNREACHABLE',
    'bad VIM unreachable',
  );
  await api('PUT', '/api/v1/vims/worse', { transportUrl: 'rabbit://nova:hunter2-secret@h:99999/' }); // refused: names the field
  await api('DELETE', '/api/v1/vims/bad');
  const text = all + daemon.output();
  expect(text).toContain('nova:***@127.0.0.1:1');
  for (const secret of ['hunter2-secret', TOKEN, `guest:${PASSWORD}@`]) expect(text).not.toContain(secret);
});
