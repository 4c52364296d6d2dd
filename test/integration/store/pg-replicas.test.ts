/**
 * Two PgStore instances on one database, as two replicas: a change through one is in the
 * other within 2 s (LISTEN/NOTIFY), a row written behind their backs (no NOTIFY) heals at the
 * next reconcile, compare-and-set lets exactly one of two racing writers win, concurrent
 * updates of one list both land (conflict, reload, run again), and check_vim_status reads one
 * bounded window.
 */
import type { StateChange } from '../../../src/model/state-change.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { PgStore } from '../../../src/store/pg/pg-store.js';
import type { StoreKind } from '../../../src/store/store.js';
import type { StoreSeed } from '../../../src/store/state.js';
import { canonical } from '../../../src/util/json.js';
import type { AlarmRecord, VesAgentRecord } from '../../../src/model/ves.js';
import { capturedLogger, createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [],
};
const sub = (id: string) => ({ id, vimId: 'vio-1', states: ['DELETE'], topic: 'VIM_VM_EVENTS' });
const agent: VesAgentRecord = {
  ves_subscription: { endpoint: 'http://127.0.0.1:8443/eventListener/v7' },
  backlogs: [{ backlog_uuid: '3f0c1d9e-8c4b-4f5e-9a53-6f1d2a7b8c90', domain: 'fault', type: 'vm' }],
  updatedAt: '2026-01-01T00:00:00.000Z',
};
/** An open alarm as the VES alarm tracker keeps it; `by` in messageId says which replica wrote it. */
const alarm = (by: string, i: number): AlarmRecord => ({
  eventId: `vio-1:i-${i}:1767225600000000:0`,
  startEpochMicrosec: 1767225600000000,
  sequence: 0,
  state: 'stopped',
  eventType: 'compute.instance.power_off.end',
  messageId: by,
  sourceName: `vm-${i}`,
});

let db: TestDatabase;
let a: PgStore;
let b: PgStore;
const RECENT = 5;

async function replica(reconcileMs = 60_000): Promise<PgStore> {
  const { store } = await openPgStore(
    { url: db.url, logger: capturedLogger().logger, recentSize: RECENT, reconcileMs, connectTimeoutMs: 2000 },
    seed,
  );
  return store as PgStore;
}

beforeEach(async () => {
  db = await createTestDatabase();
  a = await replica();
  b = await replica(300);
});
afterEach(async () => {
  await a.close();
  await b.close();
  await db.drop();
});

describe('two PgStores on one database', () => {
  it('a subscription added through one is in the other within 2 s, and onChange says subscriptions', async () => {
    const seen: StoreKind[][] = [];
    b.onChange((k) => seen.push([...k]));
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await a.update((s) => {
        s.subscriptions.push(sub(`s-${i}`));
      });
      await waitFor(() => b.get().subscriptions.some((x) => x.id === `s-${i}`), `s-${i} in the other store`, 2000, 1);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    console.log(
      `propagation through NOTIFY, write to visible in the other replica: median ${times[5].toFixed(1)} ms, max ${times[9].toFixed(1)} ms (10 changes)`,
    );
    expect(times[9]).toBeLessThan(2000);
    expect(b.get().subscriptions.map((x) => x.id)).toEqual(a.get().subscriptions.map((x) => x.id));
    expect(seen.flat().every((k) => k === 'subscriptions')).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(10);
  });

  it('a row written with SQL and no NOTIFY reaches the other store at its next reconcile', async () => {
    const seen: StoreKind[][] = [];
    b.onChange((k) => seen.push([...k]));
    await db.query(
      "UPDATE relay_vims SET value = jsonb_set(value, '{exchange}', '\"nova-behind-your-back\"'), version = nextval('relay_version_seq') WHERE vim_id = 'vio-1'",
    );
    const t0 = performance.now();
    await waitFor(
      () => b.get().vims[0]?.exchange === 'nova-behind-your-back',
      'the reconcile to reload the VIM',
      3000,
      5,
    );
    console.log(`reconcile (every 300 ms) healed a change without NOTIFY in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(seen).toContainEqual(['vims']);
    // a reconciles only every minute and heard nothing: it still has the old row.
    expect(a.get().vims[0]?.exchange).toBeUndefined();
  });

  it('compare-and-set on one compute node or alarm: of two racing writers exactly one wins, the loser sees the winner', async () => {
    let wins = 0;
    for (let i = 0; i < 25; i++) {
      const kind = i % 2 ? 'alarms' : 'computeNodes';
      const key = `node-${i}`;
      const value = (by: string): Record<string, unknown> =>
        kind === 'alarms' ? { ...alarm(by, i) } : { by, free_ram_mb: i };
      const [ra, rb] = await Promise.all([
        a.compareAndSet(kind, 'vio-1', key, a.versionOf(kind, 'vio-1', key), value('a')),
        b.compareAndSet(kind, 'vio-1', key, b.versionOf(kind, 'vio-1', key), value('b')),
      ]);
      expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
      wins++;
      const winner = ra.ok ? ra : rb;
      const loser = ra.ok ? rb : ra;
      expect(loser.version).toBe(winner.version);
      expect(loser.value).toEqual(winner.value);
      // Both caches hold the winner's row now.
      const held = (s: PgStore): unknown => (kind === 'alarms' ? s.get().alarms : s.get().computeNodes)['vio-1']?.[key];
      // canonical: a row read back from jsonb has its keys in another order.
      await waitFor(
        () => canonical(held(a)) === canonical(winner.value) && canonical(held(b)) === canonical(winner.value),
        'both stores to hold the winner',
      );
    }
    expect(wins).toBe(25);
    // A second round on one row: the holder of the current version wins, a stale version loses.
    const v = a.versionOf('computeNodes', 'vio-1', 'node-0');
    expect((await b.compareAndSet('computeNodes', 'vio-1', 'node-0', v, { by: 'b2' })).ok).toBe(true);
    const stale = await a.compareAndSet('computeNodes', 'vio-1', 'node-0', v, { by: 'a2' });
    expect(stale).toEqual({ ok: false, version: expect.any(Number), value: { by: 'b2' } });
    expect((await a.compareAndSet('computeNodes', 'vio-1', 'node-0', stale.version, undefined)).ok).toBe(true);
    await waitFor(() => b.get().computeNodes['vio-1']?.['node-0'] === undefined, 'the delete in b');
    const rows = await db.query("SELECT count(*)::int AS n FROM relay_compute_nodes WHERE node = 'node-0'");
    expect(rows.rows[0].n).toBe(0);
  });

  it('compareAndSet refuses an alarm that is not an AlarmRecord, as the file store does: VALIDATION_FAILED, no row', async () => {
    await expect(a.compareAndSet('alarms', 'vio-1', 'i-1', 0, { by: 'a' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/state\.alarms\.vio-1\.i-1\.eventId is required/),
    });
    expect((await db.query('SELECT count(*)::int AS n FROM relay_alarms')).rows[0].n).toBe(0);
    expect(a.get().alarms).toEqual({});
    // A valid one goes through.
    expect((await a.compareAndSet('alarms', 'vio-1', 'i-1', 0, { ...alarm('a', 1) })).ok).toBe(true);
  });

  it('concurrent updates of the subscription list through both stores all land (conflict, reload, run again)', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_x, i) =>
        (i % 2 ? a : b).update((s) => {
          // Replaces the list, as the admin API does: every writer rewrites the same ord positions.
          s.subscriptions = [...s.subscriptions.filter((x) => x.id !== `c-${i}`), sub(`c-${i}`)];
        }),
      ),
    );
    const ids = (s: PgStore) =>
      s
        .get()
        .subscriptions.map((x) => x.id)
        .sort();
    await waitFor(() => ids(a).length === 6 && ids(b).length === 6, 'both stores to hold all six');
    expect(ids(a)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
    expect(ids(b)).toEqual(ids(a));
  });

  it('a VIM deleted with its rows in one update: gone everywhere, its rows first', async () => {
    await a.update((s) => {
      s.subscriptions.push(sub('s-1'));
      s.computeNodes['vio-1'] = { n: { free_ram_mb: 1 } };
    });
    await a.update((s) => {
      s.vims = [];
      s.subscriptions = [];
      s.computeNodes = {};
    });
    await waitFor(
      () => b.get().vims.length === 0 && b.get().subscriptions.length === 0 && !b.get().computeNodes['vio-1'],
      'b to see the VIM gone with its rows',
      2000,
    );
  });

  it('a VIM deleted by another replica takes along rows added meanwhile, and nothing can be added for it after', async () => {
    await a.update((s) => {
      s.subscriptions.push(sub('s-1'));
    });
    await a.compareAndSet('computeNodes', 'vio-1', 'n', 0, { free_ram_mb: 1 });
    // Behind a's back (no NOTIFY, and a reconciles once a minute): a still believes in vio-1.
    await db.query("DELETE FROM relay_vims WHERE vim_id = 'vio-1'");
    for (const table of ['relay_subscriptions', 'relay_compute_nodes']) {
      expect((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
    }
    expect(a.get().vims).toHaveLength(1);
    const e = await a
      .update((s) => void s.subscriptions.push(sub('s-late')))
      .then(
        () => undefined,
        (x: unknown) => x as Error & { code?: string },
      );
    expect(e?.code).toBe('CONFLICT');
    expect(e?.message).toMatch(/a VIM that another replica has just deleted/);
    // The refusal reloaded a's state: the VIM is gone there too.
    expect(a.get().vims).toEqual([]);
    expect((await b.compareAndSet('computeNodes', 'vio-1', 'n2', 0, { free_ram_mb: 2 })).ok).toBe(false);
    expect((await db.query('SELECT count(*)::int AS n FROM relay_compute_nodes')).rows[0].n).toBe(0);
  });

  it('VES agent configurations and alarms are rows too, seen by the other store', async () => {
    await a.update((s) => {
      s.vesAgents['vio-1'] = structuredClone(agent);
      s.alarms['vio-1'] = { 'i-1': alarm('a', 1) };
    });
    await waitFor(
      () => b.get().vesAgents['vio-1'] && b.get().alarms['vio-1']?.['i-1'],
      'the VES agent and its alarm in b',
      2000,
    );
    expect(b.get().vesAgents['vio-1']).toEqual(agent);
    expect(b.get().alarms['vio-1']).toEqual({ 'i-1': alarm('a', 1) });
    const { rows } = await db.query('SELECT vim_id, value FROM relay_ves_agents');
    expect(rows).toEqual([{ vim_id: 'vio-1', value: agent }]);
    expect((await db.query('SELECT vim_id, instance_id FROM relay_alarms')).rows).toEqual([
      { vim_id: 'vio-1', instance_id: 'i-1' },
    ]);
    await a.update((s) => {
      delete s.vesAgents['vio-1'];
      delete s.alarms['vio-1'];
    });
    await waitFor(
      () => b.get().vesAgents['vio-1'] === undefined && b.get().alarms['vio-1'] === undefined,
      'the VES agent and its alarm gone from b',
      2000,
    );
  });

  it('check_vim_status reads one window: pushed through one, answered alike by both, newest first, bounded', async () => {
    const change = (i: number, event: string): StateChange => ({
      state_description: null,
      launched_at: null,
      instance_id: `i-${i}`,
      display_name: null,
      state: null,
      event,
      timestamp: `2026-01-01T00:00:0${i}Z`,
    });
    for (let i = 0; i < 8; i++) {
      (i % 2 ? a : b).pushRecent('vio-1', change(i, i % 3 ? 'POWER_OFF' : 'DELETE'));
      await sleep(3);
    }
    await waitFor(
      async () =>
        (await db.query("SELECT count(*)::int AS n FROM relay_recent WHERE vim_id = 'vio-1'")).rows[0].n === RECENT,
      'the window trimmed to its size',
    );
    const fromA = await a.queryRecent('vio-1', ['*']);
    expect(fromA.map((c) => c.instance_id)).toEqual(['i-7', 'i-6', 'i-5', 'i-4', 'i-3']);
    expect(await b.queryRecent('vio-1', ['*'])).toEqual(fromA);
    expect((await b.queryRecent('vio-1', ['delete'])).map((c) => c.instance_id)).toEqual(['i-6', 'i-3']);
    a.dropRecent('vio-1');
    await waitFor(async () => (await b.queryRecent('vio-1', ['*'])).length === 0, 'the window of a deleted VIM gone');
  });
});
