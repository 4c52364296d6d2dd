/**
 * The claim format (src/store/claims.ts): how a row with a claim reads, for the notification
 * that claimed it and for everyone else, and that both stores' schemas take claims of compute
 * nodes and alarms (and refuse malformed ones), in a file that still loads with or without them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLAIM_ABANDONED_MS,
  claimOf,
  claimRow,
  claimRows,
  decidingValue,
  decidingView,
  isAbandoned,
  plainOf,
  plainRows,
  rowChanges,
  type RowValue,
} from '../../../src/store/claims.js';
import { FileStore } from '../../../src/store/file-store.js';
import { StateFile } from '../../../src/store/state-file.js';
import { plainAlarm } from '../../../src/store/ves-state.js';
import { InMemoryVesStore } from '../../helpers/ves-memory-store.js';
import type { AlarmRecord } from '../../../src/model/ves.js';

const seed = { vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }], subscriptions: [] };
const AT = '2026-01-01T00:00:00.000Z';
const alarm: AlarmRecord = {
  eventId: 'vio-1:i-1:1767225600000000:0',
  startEpochMicrosec: 1767225600000000,
  sequence: 0,
  state: 'stopped',
  eventType: 'compute.instance.power_off.end',
  messageId: 'm-onset',
  sourceName: 'vm-1',
};
const asRow = (a: AlarmRecord): RowValue => a as unknown as RowValue;

describe('reading a claimed row', () => {
  const v0 = { running_vms: 1 };
  const v1 = { running_vms: 2 };
  // Claimed now: a claim older than CLAIM_ABANDONED_MS reads otherwise (below).
  const NOW = new Date().toISOString();
  const claimed = claimRow(v1, { messageId: 'm1', claimedAt: NOW, previous: v0 });
  const deleting = claimRow(undefined, { messageId: 'm2', claimedAt: NOW, previous: v1 });

  it('the plain value is the row without its claim; a claim of a delete has none', () => {
    expect(plainOf(claimed)).toEqual(v1);
    expect(plainOf(deleting)).toBeUndefined();
    expect(plainOf(v0)).toBe(v0);
    expect(plainOf(undefined)).toBeUndefined();
  });

  it('its own notification reads `previous` (a redelivery publishes again); any other reads the claimed value', () => {
    expect(decidingValue(claimed, 'm1')).toEqual(v0);
    expect(decidingValue(claimed, 'other')).toEqual(v1);
    expect(decidingValue(deleting, 'm2')).toEqual(v1);
    expect(decidingValue(deleting, 'other')).toBeUndefined();
    // A claim made over another notification's claim: its own previous is that claim, read as its value.
    const stacked = claimRow({ running_vms: 3 }, { messageId: 'm3', claimedAt: AT, previous: claimed });
    expect(decidingValue(stacked, 'm3')).toEqual(v1);
  });

  it('a claim older than CLAIM_ABANDONED_MS (its replica died, its notification will not settle it) reads as `previous` to all', () => {
    const old = new Date(Date.now() - CLAIM_ABANDONED_MS - 1000).toISOString();
    const abandoned = claimRow(v1, { messageId: 'm1', claimedAt: old, previous: v0 });
    expect(isAbandoned(claimOf(abandoned)!)).toBe(true);
    expect(isAbandoned(claimOf(claimed)!)).toBe(false);
    expect(decidingValue(abandoned, 'other')).toEqual(v0);
    expect(decidingView({ a: abandoned }, 'other')).toEqual({ view: { a: v0 }, own: [] });
  });

  it("a VIM's rows: claims read alike, own keys named; rows without a claim come back uncopied", () => {
    const rows = { a: claimed, b: deleting, c: v0 };
    expect(decidingView(rows, 'm1')).toEqual({ view: { a: v0, c: v0 }, own: ['a'] });
    expect(plainRows(rows)).toEqual({ a: v1, c: v0 });
    const plain = { c: v0 };
    expect(plainRows(plain)).toBe(plain);
    expect(plainAlarm(claimRow(asRow(alarm), { messageId: 'x', claimedAt: AT }) as unknown as AlarmRecord)).toEqual(
      alarm,
    );
  });

  it('rowChanges: the rows whose plain value the decision changes, and its own claims, in key order', () => {
    const rows = { b: claimed, a: v0, z: claimRow(v0, { messageId: 'me', claimedAt: AT }) };
    const { view, own } = decidingView(rows, 'me');
    const target = { ...view, a: { running_vms: 9 }, new: v0 };
    delete (target as Record<string, unknown>).b;
    const versions: Record<string, number> = { a: 4, b: 7, z: 9 };
    expect(rowChanges(rows, view, target, own, (k) => versions[k] ?? 0)).toEqual([
      { key: 'a', row: v0, version: 4, target: { running_vms: 9 } },
      { key: 'b', row: claimed, version: 7, target: undefined },
      { key: 'new', row: undefined, version: 0, target: v0 },
      { key: 'z', row: rows.z, version: 9, target: undefined },
    ]);
  });
});

describe('claimRows over a shared in-memory store', () => {
  const store = () =>
    new InMemoryVesStore({ vims: [{ id: 'vio-1' }], alarms: { 'vio-1': { 'i-0': alarm } } }, { shared: true });

  it('a loss on a later row puts back the rows claimed before it, and says lost', async () => {
    const s = store();
    const changes = [
      { key: 'i-0', row: asRow(alarm), version: s.versionOf('alarms', 'vio-1', 'i-0'), target: undefined },
      { key: 'i-1', row: undefined, version: 0, target: asRow(alarm) },
    ];
    // Another replica creates i-1 first.
    await s.compareAndSet('alarms', 'vio-1', 'i-1', 0, asRow({ ...alarm, messageId: 'other' }));
    const out = await claimRows({
      store: s,
      kind: 'alarms',
      vimId: 'vio-1',
      messageId: 'me',
      changes,
      publishes: true,
    });
    expect(out).toEqual({ kind: 'lost' });
    expect(s.get().alarms['vio-1']).toEqual({ 'i-0': alarm, 'i-1': { ...alarm, messageId: 'other' } });
  });

  it('a failure keeps what it claimed (to settle as usual) and hands back the rest unclaimed', async () => {
    const s = store();
    const cas = s.compareAndSet.bind(s);
    let calls = 0;
    s.compareAndSet = (...args) => (++calls === 2 ? Promise.reject(new Error('store away')) : cas(...args));
    const v = s.versionOf('alarms', 'vio-1', 'i-0');
    const out = await claimRows({
      store: s,
      kind: 'alarms',
      vimId: 'vio-1',
      messageId: 'me',
      publishes: true,
      changes: [
        { key: 'i-0', row: asRow(alarm), version: v, target: undefined },
        { key: 'i-1', row: undefined, version: 0, target: asRow(alarm) },
      ],
    });
    expect(out.kind).toBe('failed');
    if (out.kind !== 'failed') return;
    expect(out.rows.map((r) => [r.key, r.claimed])).toEqual([
      ['i-0', true],
      ['i-1', false],
    ]);
    expect(s.get().alarms['vio-1']?.['i-0']).toEqual({
      claim: { messageId: 'me', claimedAt: expect.any(String), previous: alarm },
    });
  });
});

describe('claims in the store schema', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'claims-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = async () => (await FileStore.open(join(dir, 'state.json'), seed, 3)).store;

  it('FileStore.compareAndSet takes claimed compute nodes and alarms, and the claim of a delete; the file reloads', async () => {
    const s = await open();
    const node = { host: 'compute', running_vms: 2 };
    const nodeClaim = claimRow({ ...node, running_vms: 3 }, { messageId: 'm1', claimedAt: AT, previous: node });
    expect((await s.compareAndSet('computeNodes', 'vio-1', 'n', 0, nodeClaim)).ok).toBe(true);
    const onset = claimRow(asRow(alarm), { messageId: 'm-onset', claimedAt: AT });
    expect((await s.compareAndSet('alarms', 'vio-1', 'i-1', 0, onset)).ok).toBe(true);
    // A clear being sent: the claim alone, the alarm in previous; stacked over another claim too.
    const clear = claimRow(undefined, { messageId: 'm-clear', claimedAt: AT, previous: onset });
    const v = s.versionOf('alarms', 'vio-1', 'i-1');
    expect((await s.compareAndSet('alarms', 'vio-1', 'i-1', v, clear)).ok).toBe(true);
    await s.close();
    const again = await open();
    expect(again.get().computeNodes['vio-1']?.n).toEqual(nodeClaim);
    expect(again.get().alarms['vio-1']?.['i-1']).toEqual(clear);
  });

  it('refuses a malformed claim with VALIDATION_FAILED, naming it', async () => {
    const s = await open();
    await expect(
      s.compareAndSet('computeNodes', 'vio-1', 'n', 0, { running_vms: 1, claim: { claimedAt: AT } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/state\.computeNodes\.vio-1\.n\.claim\.messageId is required/),
    });
    await expect(
      s.compareAndSet('alarms', 'vio-1', 'i-1', 0, { claim: { messageId: 'm', claimedAt: 'yesterday' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/claimedAt/) });
    await expect(
      s.compareAndSet('alarms', 'vio-1', 'i-1', 0, {
        ...asRow(alarm),
        claim: { messageId: 'm', claimedAt: AT, by: 1 },
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/by is not a known property/),
    });
    expect(s.get().computeNodes).toEqual({});
    expect(s.get().alarms).toEqual({});
  });

  it('a file written before claims existed loads unchanged', async () => {
    const path = join(dir, 'state.json');
    const old = {
      version: 2,
      vims: seed.vims,
      subscriptions: [],
      computeNodes: { 'vio-1': { 'fake-mini': { host: 'compute', running_vms: 2 } } },
      vesAgents: {},
      alarms: { 'vio-1': { 'i-1': alarm } },
    };
    await writeFile(path, JSON.stringify(old));
    const { store, seeded } = await StateFile.open(path, seed);
    expect(seeded).toBe(false);
    expect(store.get()).toEqual(old);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(old);
  });
});
