/**
 * Faults together, as they come in production: three replicas of the built daemon on one
 * PostgreSQL database of the test's own, each VIM one quorum queue they compete on, notifications
 * as oslo.messaging puts them on the wire at a steady 20/s for a minute, and meanwhile replicas
 * SIGKILLed and restarted, one SIGTERMed and restarted, DMaaP answering 503 for 6 s, every
 * database connection of the relay cut (pg_terminate_backend, this database only), every AMQP
 * connection of the relay closed by the broker (rabbitmqctl close_connection, these VIMs' only),
 * VIM changes through different replicas, and one VIM deleted with purge and added again.
 * Asserted: every subscribed notification delivered, nothing dead-lettered, no queue bound to the
 * VIMs' exchanges without a consumer, every replica ready at the end. Printed: duplicates,
 * recovery times, each replica's RSS.
 */
import { jest } from '@jest/globals';
import { connect } from 'amqplib';
import { amqpUrl, cleanup, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { api, messageIds, readyz } from '../helpers/replicas.js';
import {
  closeRelayConnections,
  publishWire,
  queuesBoundTo,
  queuesNamed,
  rssMiB,
  terminateRelayBackends,
} from '../helpers/combined-faults.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(240000);

const RATE = 20; // notifications a second to VIM A
const SECONDS = 60;
const PREFETCH = 10;
/** DMaaP takes 20 ms a request, so that deliveries are in hand when a replica is killed. */
const ACCEPT = { kind: 'accept', delayMs: 20 } as const;

interface Replica {
  readonly name: string;
  readonly dir: string;
  d: SpawnedDaemon;
  readonly pids: number[];
}

const A = { id: uniqueName('comb-a'), exchange: uniqueName('nova-comb-a') };
const B = { id: uniqueName('comb-b'), exchange: uniqueName('nova-comb-b') };
const topicOf = (vimId: string) => `T_${vimId}`;
const queueOf = (vimId: string) => `vim-event-relay.${vimId}`;
const vimBody = (v: { id: string; exchange: string }, query = '') => ({
  transportUrl: `${rabbitUrl()}${query}`,
  exchange: v.exchange,
  exchangeDurable: true,
});
const subscriptionBody = (vimId: string) => ({ vimId, states: ['*'], topic: topicOf(vimId) });

let db: TestDatabase;
let dmaap: FaultServer;
const replicas: Replica[] = [];
/** Every process each replica ran, for the log evidence of a finding. */
const processes: { name: string; d: SpawnedDaemon }[] = [];
/** What went wrong mid-run; the run goes on to the end, and the test fails on any. */
const findings: string[] = [];
let stopPublishing = false;
const recovery: string[] = [];
const events: string[] = [];
let t0 = 0;
const log = (what: string): void => void events.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

function config(): Record<string, unknown> {
  return {
    dmaap: { url: dmaap.url, timeoutMs: 2000 },
    publish: { retryInitialMs: 50, retryMaxMs: 500 },
    transport: { prefetch: PREFETCH, reconnectInitialMs: 50, reconnectMaxMs: 500, heartbeatSeconds: 10 },
    store: { url: db.url, reconcileMs: 1000, timeoutMs: 2000 },
    shutdown: { timeoutMs: 3000 },
    vims: [A, B].map((v) => ({ id: v.id, ...vimBody(v) })),
    subscriptions: [A, B].map((v) => ({ id: `${v.id}-all`, ...subscriptionBody(v.id) })),
  };
}

async function spawnReplica(r: Omit<Replica, 'd'> & { d?: SpawnedDaemon }): Promise<Replica> {
  r.d = await spawnDaemon(config(), { dir: r.dir });
  if (r.d.proc.pid) r.pids.push(r.d.proc.pid);
  processes.push({ name: `${r.name}/${r.d.proc.pid}`, d: r.d });
  return r as Replica;
}

const ready = async (r: Replica): Promise<boolean> => (await readyz(r.d).catch(() => ({ status: 0 }))).status === 200;
const allReady = async (): Promise<boolean> => (await Promise.all(replicas.map(ready))).every(Boolean);

/** ms until `cond` holds, polled every 50 ms (throws past `timeoutMs`). */
async function timeUntil(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30000): Promise<number> {
  const started = Date.now();
  await waitFor(cond, what, timeoutMs, 50);
  return Date.now() - started;
}

async function vimStatusIn(r: Replica, vimId: string): Promise<string | undefined> {
  const res = await api(r.d, 'GET', `/api/v1/vims/${vimId}`).catch(() => undefined);
  return res?.status === 200 ? String(res.body.status) : res?.status === 404 ? 'ABSENT' : undefined;
}

async function everywhere(vimId: string, status: string): Promise<boolean> {
  return (await Promise.all(replicas.map((r) => vimStatusIn(r, vimId)))).every((s) => s === status);
}

/** A passive declare of `queue` (exact counts); undefined when it does not exist. */
function passive(queue: string): Promise<{ messageCount: number; consumerCount: number } | undefined> {
  return withChannel(async (ch) => {
    try {
      return await ch.checkQueue(queue);
    } catch {
      return undefined;
    }
  });
}

async function queueExists(queue: string): Promise<boolean> {
  return (await passive(queue)) !== undefined;
}

/** Publishes `ids` at RATE a second on one confirm channel; resolves with the confirmed ids. */
async function publishSteadily(exchange: string, ids: readonly string[], perSecond: number): Promise<string[]> {
  const conn = await connect(amqpUrl());
  conn.on('error', () => undefined);
  const ch = await conn.createConfirmChannel();
  const confirmed: string[] = [];
  const started = Date.now();
  const waits: Promise<void>[] = [];
  for (let i = 0; i < ids.length && !stopPublishing; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    const id = ids[i];
    waits.push(publishWire(ch, exchange, id).then((ok) => void (ok && confirmed.push(id))));
  }
  await Promise.all(waits);
  await conn.close();
  return confirmed;
}

async function restart(r: Replica, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  log(`${signal} ${r.name}`);
  if (signal === 'SIGKILL') {
    r.d.signal('SIGKILL');
    await r.d.exited;
  } else {
    const code = await stopDaemon(r.d, 15000);
    log(`${r.name} exited ${code}`);
    expect(code).toBe(0);
  }
  const started = Date.now();
  await spawnReplica(r);
  await waitFor(() => ready(r), `${r.name} ready after ${signal}`, 30000, 50);
  recovery.push(`${r.name} after ${signal}: ready ${Date.now() - started} ms after its restart`);
}

/** The faults, each at its second from the start of the traffic. */
async function faults(): Promise<void> {
  const at = (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));
  const [r0, r1, r2] = replicas;

  await at(6);
  await restart(r0, 'SIGKILL');

  await at(12);
  log('DMaaP answers 503');
  dmaap.fallback = { kind: 'respond', status: 503, body: 'Service Unavailable' };
  const noticed = await timeUntil(
    async () =>
      (await Promise.all(replicas.map((r) => readyz(r.d)))).some((z) => z.reasons.some((x) => x.startsWith('dmaap'))),
    'a replica to report DMaaP failing',
  );
  log(`DMaaP failing in /readyz after ${noticed} ms`);
  await sleep(Math.max(0, 6000 - noticed));
  dmaap.fallback = ACCEPT;
  log('DMaaP back');
  recovery.push(`DMaaP 503 for 6 s: every replica ready ${await timeUntil(allReady, 'ready after DMaaP')} ms after`);

  await at(21);
  const cut = await terminateRelayBackends(db);
  log(`pg_terminate_backend: ${cut} relay backends`);
  recovery.push(
    `${cut} database connections cut: every replica ready ${await timeUntil(allReady, 'ready after PG cut')} ms after`,
  );

  await at(26);
  log('close_connection of the relay connections');
  const closed = await closeRelayConnections([A.id, B.id]);
  log(`close_connection: ${closed} relay connections`);
  const back = await timeUntil(
    async () => (await everywhere(A.id, 'REACHABLE')) && (await everywhere(B.id, 'REACHABLE')) && allReady(),
    'both VIMs reachable everywhere after close_connection',
  );
  recovery.push(
    `${closed} AMQP connections closed by the broker: both VIMs reachable in every replica ${back} ms after`,
  );

  await at(33);
  // Two changes through two replicas at once: each replica reconciles both.
  log(`PUT ${A.id} (heartbeat 30) via ${r1.name}, at once with the deletion of ${B.id}`);
  const changed = api(r1.d, 'PUT', `/api/v1/vims/${A.id}`, vimBody(A, '?heartbeat_timeout_threshold=30'));
  await deleteAndReAddB(r2, r0, r1);
  expect((await changed).status).toBe(200);

  await at(46);
  await restart(r1, 'SIGTERM');

  await at(52);
  await restart(r2, 'SIGKILL');

  await at(56);
  log(`PUT ${A.id} (back) via ${r0.name}`);
  expect((await api(r0.d, 'PUT', `/api/v1/vims/${A.id}`, vimBody(A))).status).toBe(200);
}

const bEarly = Array.from({ length: 20 }, (_, i) => `comb-b1-${i}`);
const bLate = Array.from({ length: 20 }, (_, i) => `comb-b2-${i}`);

/** B's first notifications delivered, then B deleted with purge through one replica and added through others. */
async function deleteAndReAddB(via: Replica, addVia: Replica, subVia: Replica): Promise<void> {
  await waitFor(() => missing(B.id, bEarly).length === 0, `B's first ${bEarly.length} delivered`, 20000, 100);
  log(`DELETE ${B.id}?purge=true via ${via.name}`);
  const deleted = Date.now();
  expect((await api(via.d, 'DELETE', `/api/v1/vims/${B.id}?purge=true`)).status).toBe(204);
  const gone = await timeUntil(() => everywhere(B.id, 'ABSENT'), 'B absent in every replica');
  recovery.push(`B deleted: absent in every replica ${gone} ms after`);
  // Every replica stopped B's runner; none may declare its queue again meanwhile.
  await sleep(2000);
  const left = await queueExists(queueOf(B.id));
  log(`B's queue ${left ? 'EXISTS' : 'gone'} 2 s after every replica dropped B`);
  if (left) {
    findings.push(`B's queue ${queueOf(B.id)} declared again after B was deleted with purge`);
    evidence(B.id, deleted);
  }
  log(`PUT ${B.id} via ${addVia.name}, its subscription via ${subVia.name}`);
  expect((await api(addVia.d, 'PUT', `/api/v1/vims/${B.id}`, vimBody(B))).status).toBe(201);
  expect((await api(subVia.d, 'PUT', `/api/v1/subscriptions/${B.id}-all`, subscriptionBody(B.id))).status).toBe(201);
  const added = await timeUntil(() => everywhere(B.id, 'REACHABLE'), 'B reachable in every replica');
  recovery.push(`B added again: reachable in every replica ${added} ms after`);
  await withChannel(async (ch) => {
    for (const id of bLate) await publishWire(ch, B.exchange, id);
  });
}

/** Each replica's log lines about `vimId` (or its queue) since `since` (epoch ms), into the timeline. */
function evidence(vimId: string, since: number): void {
  for (const { name, d } of processes) {
    for (const l of d.lines) {
      const text = JSON.stringify(l);
      if (!text.includes(vimId) || Date.parse(String(l.timestamp)) < since - 500) continue;
      const { timestamp, level, message, ...rest } = l;
      events.push(`    ${name} ${String(timestamp).slice(11)} ${level} ${message} ${JSON.stringify(rest)}`);
    }
  }
}

/** The ids of `want` that DMaaP has not accepted on the VIM's topic. */
function missing(vimId: string, want: readonly string[]): string[] {
  const got = new Set(messageIds(dmaap.accepted(topicOf(vimId))));
  return want.filter((id) => !got.has(id));
}

/** When the PostgreSQL server started: another test on this machine may restart it, which is no finding of ours. */
async function postmasterStart(): Promise<string> {
  return String((await db.query<{ t: Date }>('SELECT pg_postmaster_start_time() AS t')).rows[0].t.toISOString());
}
let pgStarted = '';

beforeAll(async () => {
  db = await createTestDatabase();
  pgStarted = await postmasterStart();
  dmaap = await startFaultServer();
  dmaap.fallback = ACCEPT;
  await withChannel(async (ch) => {
    for (const v of [A, B]) await ch.assertExchange(v.exchange, 'topic', { durable: true });
  });
  // The first replica seeds the database alone; the others start once it has.
  replicas.push(await spawnReplica({ name: 'r0', dir: tempDir('ver-comb-r0-'), pids: [] }));
  replicas.push(
    ...(await Promise.all(
      ['r1', 'r2'].map((name) => spawnReplica({ name, dir: tempDir(`ver-comb-${name}-`), pids: [] })),
    )),
  );
  await waitFor(
    async () => (await everywhere(A.id, 'REACHABLE')) && (await everywhere(B.id, 'REACHABLE')),
    'both VIMs reachable in every replica',
    30000,
  );
});

afterAll(async () => {
  const pgNow = db ? await postmasterStart().catch((e: Error) => e.message) : pgStarted;
  if (pgNow !== pgStarted)
    events.push(`PostgreSQL was restarted during the run (by other work?): ${pgStarted} -> ${pgNow}`);
  for (const r of replicas) await stopDaemon(r.d, 15000);
  await cleanup({
    queues: [A, B].flatMap((v) => [queueOf(v.id), `${queueOf(v.id)}.dead`]),
    exchanges: [A.exchange, B.exchange],
  });
  await dmaap?.close();
  await db?.drop();
  if (events.length) process.stdout.write(`combined faults, timeline:\n  ${events.join('\n  ')}\n`);
});

test('faults together under steady oslo traffic: everything delivered, nothing dead-lettered, no queue left unconsumed, every replica ready', async () => {
  const aIds = Array.from({ length: RATE * SECONDS }, (_, i) => `comb-a-${i}`);
  t0 = Date.now();
  await withChannel(async (ch) => {
    for (const id of bEarly) await publishWire(ch, B.exchange, id);
  });
  const schedule = faults().catch((e: Error) => {
    stopPublishing = true;
    throw e;
  });
  const [confirmedA] = await Promise.all([publishSteadily(A.exchange, aIds, RATE), schedule]);
  log(`traffic over: ${confirmedA.length} of ${aIds.length} confirmed by the broker`);
  expect(confirmedA).toHaveLength(aIds.length);

  const drained = await timeUntil(
    () => missing(A.id, aIds).length === 0 && missing(B.id, [...bEarly, ...bLate]).length === 0,
    'every notification at DMaaP',
    60000,
  ).catch((e: Error) => {
    log(`missing A ${missing(A.id, aIds).length}, B ${missing(B.id, [...bEarly, ...bLate]).length}`);
    throw e;
  });
  recovery.push(`last notification at DMaaP ${drained} ms after the traffic ended`);
  const readyAtEnd = await timeUntil(allReady, 'every replica ready at the end').catch(async (e: Error) => {
    for (const r of replicas) log(`${r.name} readyz ${JSON.stringify(await readyz(r.d))}`);
    throw e;
  });

  const total = { a: dmaap.accepted(topicOf(A.id)).length, b: dmaap.accepted(topicOf(B.id)).length };
  const wanted = { a: aIds.length, b: bEarly.length + bLate.length };
  const queues = await queuesNamed([A.id, B.id]);
  const bound = await queuesBoundTo([A.exchange, B.exchange]);
  // A passive declare is exact where list_queues' quorum counts lag by up to 5 s.
  const consumers: Record<string, number> = {};
  for (const q of bound) consumers[q] = (await passive(q))?.consumerCount ?? -1;
  const deadLettered = await Promise.all(
    [A, B].map(async (v) => (await passive(`${queueOf(v.id)}.dead`))?.messageCount),
  );
  process.stdout.write(
    [
      `combined faults: A ${wanted.a} sent, ${total.a} accepted (duplicates ${total.a - wanted.a}); B ${wanted.b} sent, ${total.b} accepted (duplicates ${total.b - wanted.b}); DMaaP requests ${dmaap.requests.length}`,
      ...recovery.map((r) => `  recovery: ${r}`),
      `  every replica ready ${readyAtEnd} ms after the last delivery`,
      ...replicas.map((r) => `  ${r.name}: RSS ${rssMiB(r.d.proc.pid)} MiB (pids ${r.pids.join(', ')})`),
      `  dead-lettered: A ${deadLettered[0]}, B ${deadLettered[1]}`,
      `  queues: ${queues.map((q) => `${q.name} ready ${q.ready} unacked ${q.unacked} consumers ${q.consumers}`).join('; ')}`,
      `  bound to the VIMs' exchanges: ${bound.map((q) => `${q} (${consumers[q]} consumers)`).join(', ')}`,
    ].join('\n') + '\n',
  );

  expect(findings).toEqual([]);
  expect(missing(A.id, aIds)).toEqual([]);
  expect(missing(B.id, [...bEarly, ...bLate])).toEqual([]);
  // Nothing here should be dead-lettered: every notification is valid and subscribed.
  expect(deadLettered).toEqual([0, 0]);
  // Every queue bound to a VIM's exchange is that VIM's own, and consumed.
  expect(bound.sort()).toEqual([queueOf(A.id), queueOf(B.id)].sort());
  for (const q of bound) expect(consumers[q]).toBeGreaterThan(0);
});
