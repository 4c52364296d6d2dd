/**
 * Claim-then-publish on PostgreSQL: two PgStores on one test database are two replicas, each
 * with the real Pipeline, ComputeNodeTracker and VesAlarmTracker (test/helpers/claim-replica.ts)
 * and scripted destinations. Racing on one compute node's update, or on one VM's fault, exactly
 * one publishes; a claim whose replica died is published by the redelivery; a failed publish
 * puts the row back; with the store away the decision is published unclaimed, with a warning.
 */
import { DestinationClosedError } from '../../../src/publish/destination.js';
import { CLAIM_ABANDONED_MS, claimOf } from '../../../src/store/claims.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { PgStore } from '../../../src/store/pg/pg-store.js';
import type { StoreSeed } from '../../../src/store/state.js';
import { CLAIM_VIM as VIM, claimReplica, instanceSample, type ClaimReplica } from '../../helpers/claim-replica.js';
import { SPEC_NODE, specSample, type SpecNode } from '../../helpers/compute-node.js';
import { capturedLogger, createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';
import { agent, AT } from '../../unit/ves/support.js';

const seed: StoreSeed = {
  vims: [{ id: VIM, transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [],
};
const UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';
const update = (change: Partial<SpecNode> = {}) => specSample('compute_node.update', { ...SPEC_NODE, ...change });
const off = () => instanceSample('instance-power_off-end.json');
const on = () => instanceSample('instance-power_on-end.json');
const never = () => new Promise<void>(() => undefined);
const warnings = (lines: string): Record<string, unknown>[] =>
  lines
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === 'warn');

let db: TestDatabase;
let proxy: TcpProxy | undefined;
const stores: PgStore[] = [];

async function store(url = db.url, logger = capturedLogger().logger): Promise<PgStore> {
  const { store: s } = await openPgStore(
    { url, logger, recentSize: 5, reconcileMs: 60_000, connectTimeoutMs: 1000 },
    seed,
  );
  stores.push(s as PgStore);
  return s as PgStore;
}

const replicaOn = (s: PgStore, logger = capturedLogger().logger): ClaimReplica =>
  claimReplica({ nodes: s, ves: s }, logger);

/** The row in the database itself, not in a replica's copy. */
async function dbRow(table: 'relay_compute_nodes' | 'relay_alarms', key: string): Promise<unknown> {
  const col = table === 'relay_alarms' ? 'instance_id' : 'node';
  const { rows } = await db.query(`SELECT value FROM ${table} WHERE vim_id = $1 AND ${col} = $2`, [VIM, key]);
  return rows[0]?.value;
}

/** The replica publishes u0 (running_vms 1), then claims u1 (5) for a publish that never ends. */
async function claimedAndHung(a: ClaimReplica): Promise<void> {
  await a.deliver(update({ running_vms: 1 }), 'u0');
  a.dmaap.answer = never;
  void a.deliver(update({ running_vms: 5 }), 'u1');
  await waitFor(
    async () => claimOf((await dbRow('relay_compute_nodes', 'fake-mini')) as never) !== undefined,
    'the claim',
  );
}

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await proxy?.close();
  proxy = undefined;
  await db.drop();
});

describe('compute-node claims, two replicas on one database', () => {
  it('racing on the same update: exactly one publishes, round after round; the row ends plain', async () => {
    const [sa, sb] = [await store(), await store()];
    // Both replicas read the row before either's compare-and-set reaches the database: the loser
    // learns of the winner by losing (counted here), then decides again against its claim.
    let lost = 0;
    for (const s of [sa, sb]) {
      const cas = s.compareAndSet.bind(s);
      s.compareAndSet = async (...args) => {
        const r = await cas(...args);
        if (!r.ok) lost++;
        return r;
      };
    }
    const a = replicaOn(sa);
    const b = replicaOn(sb);
    for (let i = 0; i < 15; i++) {
      const settled = await Promise.all([
        a.deliver(update({ running_vms: i }), `a-${i}`),
        b.deliver(update({ running_vms: i }), `b-${i}`),
      ]);
      expect(settled).toEqual([['ack'], ['ack']]);
      expect(a.published().length + b.published().length).toBe(i + 1);
      const row = (await dbRow('relay_compute_nodes', 'fake-mini')) as Record<string, unknown>;
      expect(row).toMatchObject({ running_vms: i });
      expect(claimOf(row)).toBeUndefined();
    }
    expect(lost).toBeGreaterThan(0);
    console.log(`15 races: a published ${a.published().length}, b ${b.published().length}; claims lost: ${lost}`);
  });

  it('a replica that claimed and died: the row holds its claim; the redelivery on the other publishes', async () => {
    const [sa, sb] = [await store(), await store()];
    const a = replicaOn(sa);
    const b = replicaOn(sb);
    await claimedAndHung(a);
    expect(await dbRow('relay_compute_nodes', 'fake-mini')).toEqual({
      ...SPEC_NODE,
      running_vms: 5,
      claim: { messageId: 'u1', claimedAt: expect.any(String), previous: { ...SPEC_NODE, running_vms: 1 } },
    });
    await sa.close(); // dead: its connections go, its claim stays
    stores.splice(stores.indexOf(sa), 1);
    // Whether b has heard of the claim yet or finds it by losing a compare-and-set, it reads its own claim's previous.
    expect(await b.deliver(update({ running_vms: 5 }), 'u1')).toEqual(['ack']);
    expect(b.published()).toEqual([{ messageId: 'u1', event: 'COMPUTE_NODE_UPDATE' }]);
    expect(await dbRow('relay_compute_nodes', 'fake-mini')).toEqual({ ...SPEC_NODE, running_vms: 5 });
  });

  it('a claim left by a dead replica whose redelivery never comes (filtered): once abandoned, an equal update publishes', async () => {
    const sa = await store();
    const a = replicaOn(sa);
    await claimedAndHung(a);
    await sa.close(); // dead; u1's redelivery is filtered (its subscription deleted meanwhile): nothing settles the claim
    stores.splice(stores.indexOf(sa), 1);
    // A fresh claim may be a live replica's publish under way: an equal update is suppressed against it.
    const sb = await store();
    const b = replicaOn(sb);
    expect(await b.deliver(update({ running_vms: 5 }), 'u2')).toEqual(['ack']);
    expect(b.published()).toEqual([]);
    // Older than CLAIM_ABANDONED_MS: read as the value it replaced, so the equal update publishes.
    const old = new Date(Date.now() - CLAIM_ABANDONED_MS - 60_000).toISOString();
    await db.query(
      `UPDATE relay_compute_nodes SET value = jsonb_set(value, '{claim,claimedAt}', to_jsonb($1::text)) WHERE node = 'fake-mini'`,
      [old],
    );
    const sc = await store();
    const c = replicaOn(sc);
    expect(await c.deliver(update({ running_vms: 5 }), 'u3')).toEqual(['ack']);
    expect(c.published()).toEqual([{ messageId: 'u3', event: 'COMPUTE_NODE_UPDATE' }]);
    expect(await dbRow('relay_compute_nodes', 'fake-mini')).toEqual({ ...SPEC_NODE, running_vms: 5 });
  });

  it('a failed publish puts the row back in the database; the same update, later, on the other replica, publishes', async () => {
    const [sa, sb] = [await store(), await store()];
    const a = replicaOn(sa);
    const b = replicaOn(sb);
    await a.deliver(update(), 'u0');
    a.dmaap.answer = () => Promise.reject(new DestinationClosedError('a destination'));
    expect(await a.deliver(update({ running_vms: 7 }), 'u1')).toEqual(['requeue']);
    await waitFor(
      async () => claimOf((await dbRow('relay_compute_nodes', 'fake-mini')) as never) === undefined,
      'the rollback',
    );
    expect(await dbRow('relay_compute_nodes', 'fake-mini')).toEqual(SPEC_NODE);
    await waitFor(() => claimOf(sb.get().computeNodes[VIM]?.['fake-mini']) === undefined, 'b to hear of it');
    expect(await b.deliver(update({ running_vms: 7 }), 'u2')).toEqual(['ack']);
    expect(b.published()).toEqual([{ messageId: 'u2', event: 'COMPUTE_NODE_UPDATE' }]);
  });

  it('the store away during the claim: published unclaimed and acked, a warning says a duplicate is possible', async () => {
    proxy = await startTcpProxy(5432);
    const log = capturedLogger();
    const sa = await store(db.urlVia(proxy.port), log.logger);
    const a = replicaOn(sa, log.logger);
    await a.deliver(update(), 'u0');
    proxy.pause();
    proxy.cutAll();
    await waitFor(() => !sa.health().ok, 'the store to be down');
    expect(await a.deliver(update({ running_vms: 9 }), 'u1')).toEqual(['ack']);
    expect(a.published().map((m) => m.messageId)).toEqual(['u0', 'u1']);
    expect(warnings(log.lines())).toContainEqual(
      expect.objectContaining({
        message:
          'compute-node decision not claimed: the store cannot take it now; it goes ahead unclaimed, and another replica may publish the same update',
        code: 'STORE_UNAVAILABLE',
        messageId: 'u1',
      }),
    );
    expect(log.lines()).toContain('compute-node memory not saved');
    // Nothing was written: the database still has what u0 left.
    expect(await dbRow('relay_compute_nodes', 'fake-mini')).toEqual(SPEC_NODE);
  });
});

describe('VM alarm claims, two replicas on one database', () => {
  async function twoWithAgent(): Promise<{ sa: PgStore; sb: PgStore; a: ClaimReplica; b: ClaimReplica }> {
    const [sa, sb] = [await store(), await store()];
    await sa.update((s) => void (s.vesAgents[VIM] = agent()));
    await waitFor(() => sb.get().vesAgents[VIM] !== undefined, 'the VES agent in b');
    return { sa, sb, a: replicaOn(sa), b: replicaOn(sb) };
  }
  const names = (...rs: ClaimReplica[]) => rs.flatMap((r) => r.vesEvents().map((e) => e.eventName));

  it('two "stopped" at once raise one onset, two "active" at once one clear, round after round', async () => {
    const { a, b } = await twoWithAgent();
    for (let i = 0; i < 6; i++) {
      await Promise.all([a.deliver(off(), `off-a-${i}`), b.deliver(off(), `off-b-${i}`)]);
      expect(names(a, b).filter((n) => n === 'Fault_MultiCloud_VMFailure')).toHaveLength(i + 1);
      const open = (await dbRow('relay_alarms', UUID)) as Record<string, unknown>;
      expect(open).toMatchObject({ state: 'stopped', sequence: 0 });
      expect(claimOf(open)).toBeUndefined();
      await Promise.all([a.deliver(on(), `on-a-${i}`), b.deliver(on(), `on-b-${i}`)]);
      expect(names(a, b).filter((n) => n === 'Fault_MultiCloud_VMFailureCleared')).toHaveLength(i + 1);
      expect(await dbRow('relay_alarms', UUID)).toBeUndefined();
    }
  });

  it('an onset claimed by a replica that died is sent by the redelivery on the other, with the same eventId', async () => {
    const { sa, a, b } = await twoWithAgent();
    a.ves.answer = never;
    void a.deliver(off(), 'off-1', AT);
    await waitFor(async () => (await dbRow('relay_alarms', UUID)) !== undefined, 'the claim');
    expect(claimOf((await dbRow('relay_alarms', UUID)) as never)).toEqual({
      messageId: 'off-1',
      claimedAt: expect.any(String),
    });
    await sa.close();
    stores.splice(stores.indexOf(sa), 1);
    expect(await b.deliver(off(), 'off-1', AT)).toEqual(['ack']);
    expect(b.vesEvents()).toEqual([{ messageId: 'off-1', eventName: 'Fault_MultiCloud_VMFailure' }]);
    expect(JSON.parse(b.ves.calls[0].json)).toEqual(JSON.parse(a.ves.calls[0].json));
    expect(claimOf((await dbRow('relay_alarms', UUID)) as never)).toBeUndefined();
  });

  it('the store away during the claim: the onset is sent unclaimed, acked, with a warning; its alarm is kept', async () => {
    proxy = await startTcpProxy(5432);
    const log = capturedLogger();
    const sa = await store(db.urlVia(proxy.port), log.logger);
    await sa.update((s) => void (s.vesAgents[VIM] = agent()));
    const a = replicaOn(sa, log.logger);
    proxy.pause();
    proxy.cutAll();
    await waitFor(() => !sa.health().ok, 'the store to be down');
    expect(await a.deliver(off(), 'off-1')).toEqual(['ack']);
    expect(a.vesEvents()).toEqual([{ messageId: 'off-1', eventName: 'Fault_MultiCloud_VMFailure' }]);
    expect(warnings(log.lines())).toContainEqual(
      expect.objectContaining({
        message:
          'VES alarm not claimed: the store cannot take it now; the event is sent unclaimed, and another replica may send the same one',
        code: 'STORE_UNAVAILABLE',
        instance: UUID,
      }),
    );
    expect(warnings(log.lines()).map((l) => l.message)).toContain(
      'VES alarm not saved: kept in memory (its clear will be sent) and written when the store takes it',
    );
    expect(a.alarms.unsavedCount()).toBe(1);
    proxy.resume();
    await waitFor(async () => (await dbRow('relay_alarms', UUID)) !== undefined, 'the alarm written once back');
    expect(await dbRow('relay_alarms', UUID)).toMatchObject({ state: 'stopped', messageId: 'off-1' });
    expect(claimOf((await dbRow('relay_alarms', UUID)) as never)).toBeUndefined();
    expect(a.alarms.unsavedCount()).toBe(0);
  });

  it('the store lost between the claim and the acceptance: the alarm is kept, and the claim tidied once the store is back', async () => {
    proxy = await startTcpProxy(5432);
    const sa = await store(db.urlVia(proxy.port));
    await sa.update((s) => void (s.vesAgents[VIM] = agent()));
    const a = replicaOn(sa);
    let accept!: () => void;
    a.ves.answer = () => new Promise<void>((resolve) => (accept = resolve));
    const settled = a.deliver(off(), 'off-1');
    await waitFor(async () => claimOf((await dbRow('relay_alarms', UUID)) as never) !== undefined, 'the claim');
    proxy.pause();
    proxy.cutAll();
    await waitFor(() => !sa.health().ok, 'the store to be down');
    accept();
    expect(await settled).toEqual(['ack']);
    expect(a.alarms.unsavedCount()).toBe(1);
    // Still open on this replica: a repeated fault raises nothing.
    expect(await a.deliver(off(), 'off-2')).toEqual(['ack']);
    expect(a.vesEvents()).toEqual([{ messageId: 'off-1', eventName: 'Fault_MultiCloud_VMFailure' }]);
    proxy.resume();
    await waitFor(async () => {
      const row = (await dbRow('relay_alarms', UUID)) as Record<string, unknown> | undefined;
      return row !== undefined && claimOf(row) === undefined && row.messageId === 'off-1';
    }, 'the claim tidied to the alarm');
  });

  it('an onset the collector did not take is put back (no alarm); a later "stopped" on the other replica raises it', async () => {
    const { sb, a, b } = await twoWithAgent();
    a.ves.answer = () => Promise.reject(new DestinationClosedError('a destination'));
    expect(await a.deliver(off(), 'off-1')).toEqual(['requeue']);
    await waitFor(async () => (await dbRow('relay_alarms', UUID)) === undefined, 'the rollback');
    await waitFor(() => sb.get().alarms[VIM]?.[UUID] === undefined, 'b to hear of it');
    expect(await b.deliver(off(), 'off-2')).toEqual(['ack']);
    expect(b.vesEvents()).toEqual([{ messageId: 'off-2', eventName: 'Fault_MultiCloud_VMFailure' }]);
  });
});
