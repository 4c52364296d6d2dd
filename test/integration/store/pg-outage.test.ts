/**
 * PostgreSQL away, through a TCP proxy in front of the real server: reads go on from the
 * snapshot, writes reject STORE_UNAVAILABLE at once (or within store.timeoutMs when the
 * database stops answering without closing), health says down, and the store comes back by
 * itself with what other replicas changed meanwhile.
 */
import net from 'node:net';
import type { StateChange } from '../../../src/model/state-change.js';
import { RelayError } from '../../../src/errors.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { PgStore } from '../../../src/store/pg/pg-store.js';
import type { StoreKind } from '../../../src/store/store.js';
import type { StoreSeed } from '../../../src/store/state.js';
import { capturedLogger, createTestDatabase, PG_PASSWORD, type TestDatabase } from '../../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [{ id: 'vio-1-power', vimId: 'vio-1', states: ['POWER_OFF'], topic: 'VIM_VM_EVENTS' }],
};
const TIMEOUT_MS = 1000;

let db: TestDatabase;
let proxy: TcpProxy;
const stores: PgStore[] = [];
const log = capturedLogger();

async function open(url: string): Promise<PgStore> {
  const { store } = await openPgStore(
    { url, logger: log.logger, recentSize: 10, reconcileMs: 60_000, connectTimeoutMs: TIMEOUT_MS },
    seed,
  );
  stores.push(store as PgStore);
  return store as PgStore;
}

async function rejection(p: Promise<unknown>): Promise<{ error: RelayError; ms: number }> {
  const t0 = performance.now();
  const error = await p.then(
    () => undefined,
    (e: unknown) => e as RelayError,
  );
  if (!error) throw new Error('expected a rejection');
  return { error, ms: performance.now() - t0 };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

beforeEach(async () => {
  db = await createTestDatabase();
  proxy = await startTcpProxy(5432);
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await proxy.close();
  await db.drop();
});

describe('PgStore with PostgreSQL away', () => {
  it('nothing listening at store.url: opening fails fast with STORE_UNAVAILABLE, the password masked', async () => {
    const { error, ms } = await rejection(open(db.urlVia(await freePort())));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).not.toContain(PG_PASSWORD);
    expect(ms).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('connections cut and refused: get() answers, writes reject at once, health down; back by itself with what changed meanwhile', async () => {
    const a = await open(db.urlVia(proxy.port));
    const b = await open(db.url);
    const changes: StoreKind[][] = [];
    a.onChange((k) => changes.push([...k]));
    proxy.pause();
    proxy.cutAll();
    await waitFor(() => !a.health().ok, 'health to say down', 3000, 10);
    expect(a.health().reason).toBeTruthy();
    expect(a.get().subscriptions.map((s) => s.id)).toEqual(['vio-1-power']);

    const upd = await rejection(a.update((s) => void s.subscriptions.pop()));
    expect(upd.error.code).toBe('STORE_UNAVAILABLE');
    expect(upd.ms).toBeLessThan(100);
    const cas = await rejection(a.compareAndSet('computeNodes', 'vio-1', 'n1', 0, { free_ram_mb: 1 }));
    expect(cas.error.code).toBe('STORE_UNAVAILABLE');
    console.log(`store down: update rejected in ${upd.ms.toFixed(1)} ms, compareAndSet in ${cas.ms.toFixed(1)} ms`);

    // The window keeps taking changes, answered from this replica meanwhile.
    const change = (i: number): StateChange => ({
      state_description: null,
      launched_at: null,
      instance_id: `i-${i}`,
      display_name: null,
      state: 'stopped',
      event: 'POWER_OFF',
      timestamp: '2026-01-01T00:00:00Z',
    });
    // 25 changes into a window of 10: the buffer keeps the newest 10 to write later.
    for (let i = 0; i < 25; i++) a.pushRecent('vio-1', change(i));
    const newest = Array.from({ length: 10 }, (_x, i) => `i-${24 - i}`);
    expect((await a.queryRecent('vio-1', ['*'])).map((c) => c.instance_id)).toEqual(newest);

    // Another replica changes something while a is cut off: a must catch up on return.
    await b.update((s) => {
      s.subscriptions.push({ id: 'added-meanwhile', vimId: 'vio-1', states: ['DELETE'], topic: 'VIM_VM_EVENTS' });
    });
    const downSince = Date.now();
    proxy.resume();
    await waitFor(() => a.health().ok, 'the store to come back', 10_000, 10);
    console.log(`store back ${Date.now() - downSince} ms after the proxy let connections through again`);
    expect(a.get().subscriptions.map((s) => s.id)).toEqual(['vio-1-power', 'added-meanwhile']);
    expect(changes).toContainEqual(['subscriptions']);
    await a.update((s) => void s.subscriptions.pop());
    await waitFor(() => b.get().subscriptions.length === 1, 'b to see the write made after recovery', 2000);
    // a LISTENs again: b's next change reaches it by NOTIFY (its reconcile runs once a minute).
    await b.update((s) => void s.subscriptions.pop());
    await waitFor(() => a.get().subscriptions.length === 0, 'a to hear b after recovery', 2000);
    // What a pushed while down was written once the store came back.
    await waitFor(
      async () => (await b.queryRecent('vio-1', ['*'])).length === 10,
      'the buffered state changes in the shared window',
    );
    expect((await b.queryRecent('vio-1', ['*'])).map((c) => c.instance_id)).toEqual(newest);
    expect(log.lines()).not.toContain(PG_PASSWORD);
    expect(log.lines()).toMatch(/store down/);
    expect(log.lines()).toMatch(/store back/);
  });

  it('claims queued behind a black-holed database: the first waits its timeout, the rest fail at once; close waits for none', async () => {
    const a = await open(db.urlVia(proxy.port));
    proxy.blackHole();
    const t0 = performance.now();
    const failedAt: number[] = [];
    const claims = Array.from({ length: 5 }, (_x, i) =>
      a.compareAndSet('computeNodes', 'vio-1', `node-${i}`, 0, { running_vms: i }).then(
        () => new Error(`claim ${i} landed on a black-holed database`),
        (e: unknown) => {
          failedAt[i] = performance.now() - t0;
          return e as RelayError;
        },
      ),
    );
    expect(((await claims[0]) as RelayError).code).toBe('STORE_UNAVAILABLE');
    // The link is known down now: what was queued behind the first fails within a few turns of
    // the event loop, without a timeout of its own (before: each waited store.timeoutMs in turn).
    for (let i = 0; i < 5; i++) await new Promise(setImmediate);
    expect(failedAt.filter((ms) => ms !== undefined)).toHaveLength(5);
    for (const e of await Promise.all(claims)) expect((e as RelayError).code).toBe('STORE_UNAVAILABLE');
    const t1 = performance.now();
    await a.close();
    stores.splice(stores.indexOf(a), 1);
    console.log(
      `5 claims on a black-holed database (store.timeoutMs ${TIMEOUT_MS}): failed at ${failedAt.map((ms) => ms.toFixed(0)).join(', ')} ms; close took ${(performance.now() - t1).toFixed(0)} ms`,
    );
  });

  it('a database that stops answering without closing: a write fails within store.timeoutMs, not after a long hang', async () => {
    const a = await open(db.urlVia(proxy.port));
    proxy.freezeAll();
    const { error, ms } = await rejection(a.update((s) => void s.subscriptions.pop()));
    console.log(`frozen connection: update rejected after ${ms.toFixed(0)} ms (store.timeoutMs ${TIMEOUT_MS})`);
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(ms).toBeLessThan(TIMEOUT_MS * 2 + 500);
    expect(a.health().ok).toBe(false);
    // New connections pass the proxy again: the reconnect loop brings the store back.
    await waitFor(() => a.health().ok, 'the store to come back', 10_000, 10);
    await a.update((s) => void s.subscriptions.pop());
    const rows = await db.query('SELECT count(*)::int AS n FROM relay_subscriptions');
    expect(rows.rows[0].n).toBe(0);
  });
});
