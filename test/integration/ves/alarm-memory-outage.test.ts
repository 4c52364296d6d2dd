/**
 * The alarm memory with PostgreSQL away after the collector accepted (issue 24, defect 5): the
 * VES parts as the daemon builds them, over a PgStore reached through a TCP proxy of this
 * test's own (cut and refused: the store is down, the real PostgreSQL is untouched), with
 * dmaap-dev as the collector on loopback. An accepted onset or clear is kept and read while
 * the store is away, and written once it is back: the clear of an onset is still sent (by
 * another replica, from the store), the fault after a clear still raises its onset.
 */
import { loadConfig } from '../../../src/config/load.js';
import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';
import type { Notification } from '../../../src/notifications/types.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { PgStore } from '../../../src/store/pg/pg-store.js';
import { createVesAgent, type VesAgent } from '../../../src/ves/index.js';
import { VIM_ALARM_KEY } from '../../../src/model/ves.js';
import { capturedLogger, createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { freePort } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';
import { AT, versioned } from '../../unit/ves/support.js';
import { relayVes } from '../../helpers/ves-deliver.js';

const VIM = 'vio-1';
const UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';
const FAULTS = 'unauthenticated.SEC_FAULT_OUTPUT';
const later = (s: number) => new Date(AT.getTime() + s * 1000);
const off = (id: string, at = AT) => versioned('instance-power_off-end.json', id, at);
const on = (id: string, at = later(60)) => versioned('instance-power_on-end.json', id, at);

let db: TestDatabase;
let proxy: TcpProxy;
let dev: DmaapDevServer;
let port: number;
const relays: Relay[] = [];

interface Relay {
  store: PgStore;
  ves: VesAgent;
  lines: () => string;
}

/** A replica's store and VES parts as the daemon builds them (retries shortened for the test). */
async function startRelay(url: string): Promise<Relay> {
  const { logger, lines } = capturedLogger();
  const { store } = await openPgStore(
    { url, logger, recentSize: 5, reconcileMs: 60_000, connectTimeoutMs: 1000 },
    { vims: [{ id: VIM, transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }], subscriptions: [] },
  );
  const config = loadConfig(undefined, {
    VIM_EVENT_RELAY_VES_RETRY_INITIAL_MS: '20',
    VIM_EVENT_RELAY_VES_RETRY_MAX_MS: '100',
    VIM_EVENT_RELAY_VES_VIM_UNREACHABLE_AFTER_MS: '100',
  }).ves;
  const r = { store: store as PgStore, ves: createVesAgent({ store, config, logger }), lines };
  relays.push(r);
  return r;
}

const relay = (r: Relay, n: Notification) => relayVes(r.ves, VIM, n);

const events = () =>
  dev
    .messages(FAULTS)
    .map((m) => JSON.parse(m).event.commonEventHeader as { eventName: string; startEpochMicrosec: number });

/** The alarm row in the database itself. */
async function dbAlarm(key: string): Promise<unknown> {
  const { rows } = await db.query('SELECT value FROM relay_alarms WHERE vim_id = $1 AND instance_id = $2', [VIM, key]);
  return rows[0]?.value;
}

async function storeDown(r: Relay): Promise<void> {
  proxy.pause();
  proxy.cutAll();
  await waitFor(() => !r.store.health().ok, 'the store to be down');
}

beforeAll(async () => {
  port = await freePort();
});
beforeEach(async () => {
  db = await createTestDatabase();
  proxy = await startTcpProxy(5432);
  dev = createDmaapDevServer({ port });
  await dev.listen();
});
afterEach(async () => {
  for (const r of relays.splice(0)) {
    await r.ves.close(1000);
    await r.store.close();
  }
  await proxy.close();
  await dev.close();
  await db.drop();
});

const CONFIG = () => ({
  ves_subscription: { endpoint: `http://127.0.0.1:${port}/eventListener/v7` },
  backlogs: [{ domain: 'fault' as const, type: 'vm' as const }],
});

it('an onset accepted while the store is away is kept, written on its return, and cleared by another replica', async () => {
  const a = await startRelay(db.urlVia(proxy.port));
  await a.ves.agents.put(VIM, CONFIG());
  await storeDown(a);
  expect(await relay(a, off('off-1'))).toBe('sent');
  // Still open here while the store is away: a repeated fault raises nothing.
  expect(await relay(a, off('off-2', later(5)))).toBe('nothing');
  expect(a.lines()).toContain('VES alarm not saved: kept in memory');
  expect(a.ves.unsavedAlarms()).toBe(1);
  proxy.resume();
  await waitFor(async () => (await dbAlarm(UUID)) !== undefined, 'the onset written once the store is back');
  expect(a.ves.unsavedAlarms()).toBe(0);
  expect(a.lines()).toContain('VES alarm memory written to the store after all');
  const b = await startRelay(db.url);
  expect(await relay(b, on('on-1'))).toBe('sent');
  const sent = events();
  expect(sent.map((e) => e.eventName)).toEqual(['Fault_MultiCloud_VMFailure', 'Fault_MultiCloud_VMFailureCleared']);
  expect(sent[1].startEpochMicrosec).toBe(sent[0].startEpochMicrosec);
});

it('a clear accepted while the store is away is kept: the next fault raises its onset, before and after the return', async () => {
  const a = await startRelay(db.urlVia(proxy.port));
  await a.ves.agents.put(VIM, CONFIG());
  expect(await relay(a, off('off-1'))).toBe('sent');
  expect(await dbAlarm(UUID)).toBeDefined();
  await storeDown(a);
  expect(await relay(a, on('on-1'))).toBe('sent');
  expect(a.lines()).toContain('VES clear not saved: kept in memory');
  proxy.resume();
  await waitFor(async () => (await dbAlarm(UUID)) === undefined, 'the clear written once the store is back');
  // Another replica reads the store: the VM's next fault is a new onset, not "already open".
  const b = await startRelay(db.url);
  expect(await relay(b, off('off-2', later(120)))).toBe('sent');
  expect(events().map((e) => e.eventName)).toEqual([
    'Fault_MultiCloud_VMFailure',
    'Fault_MultiCloud_VMFailureCleared',
    'Fault_MultiCloud_VMFailure',
  ]);
});

it('the VIM-unreachable alarm accepted while the store is away: kept, cleared, and the store ends without it', async () => {
  const a = await startRelay(db.urlVia(proxy.port));
  await a.ves.agents.put(VIM, CONFIG());
  await storeDown(a);
  const since = new Date();
  a.ves.vimWatch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'ECONNREFUSED 127.0.0.1:5672' });
  await waitFor(() => events().length === 1, 'the VIM onset at the collector');
  await waitFor(() => a.lines().includes('VES alarm not saved: kept in memory'), 'the onset kept');
  proxy.resume();
  await waitFor(async () => (await dbAlarm(VIM_ALARM_KEY)) !== undefined, 'the VIM alarm written once back');
  await storeDown(a);
  a.ves.vimWatch.statusChanged(VIM, { status: 'REACHABLE', since: new Date() });
  await waitFor(() => events().length === 2, 'the VIM clear at the collector');
  expect(events().map((e) => [e.eventName, e.startEpochMicrosec])).toEqual([
    ['Fault_MultiCloud_VIMUnreachable', since.getTime() * 1000],
    ['Fault_MultiCloud_VIMUnreachableCleared', since.getTime() * 1000],
  ]);
  proxy.resume();
  await waitFor(async () => (await dbAlarm(VIM_ALARM_KEY)) === undefined, 'the VIM clear written once back');
});
