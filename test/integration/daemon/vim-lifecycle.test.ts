/**
 * The VIM runner lifecycle against the real RabbitMQ and the real stores (issue 24, defects 1,
 * 2 and 8): a change whose store write fails leaves the runner as it was; a reconcile applies
 * the store as it is when its turn runs; starting is idempotent. The broker itself says how
 * many consumers a queue has (passive declare): a runner dropped or started twice shows there.
 *
 * Store faults are real: PostgreSQL behind a TCP proxy that is cut and paused (the store then
 * answers STORE_UNAVAILABLE), and the file store's directory made unwritable (chmod 0500; for
 * root, whom modes do not stop, chattr +i, or where the filesystem has no such attribute, a
 * directory put where the store file is, which the write's final rename then fails on).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { VimConfig, VimSpec } from '../../../src/config/vim.js';
import { MetricsObserver } from '../../../src/daemon/observer.js';
import { VimCatalogue } from '../../../src/daemon/vim-catalogue.js';
import { FileStore } from '../../../src/store/file-store.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { StoreSeed } from '../../../src/store/state.js';
import type { RelayStore } from '../../../src/store/store.js';
import { retireQueue } from '../../../src/transport/retire.js';
import { cleanup, FAST_TRANSPORT, publishOslo, osloBody, testVim, withChannel } from '../../helpers/amqp.js';
import { expandVersioned, toWireV2 } from '../../helpers/fixtures.js';
import { capturedLogger, createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { dmaapPipeline, ScriptedDestination } from '../../helpers/scripted-destination.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

const run = promisify(execFile);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** The VIM as a store row (what PUT stores), from testVim's unique names. */
function spec(vim: VimConfig): VimSpec {
  return { id: vim.id, transportUrl: vim.transportUrl, exchange: vim.exchange, queue: vim.queue };
}

/** Consumers of `queue` as the broker counts them; undefined when the queue does not exist. */
function consumers(queue: string): Promise<number | undefined> {
  return withChannel(async (ch) => (await ch.checkQueue(queue)).consumerCount).catch(() => undefined);
}

function seeded(vims: VimConfig[]): StoreSeed {
  return { vims: vims.map(spec), subscriptions: [] };
}

async function pgStore(db: TestDatabase, url: string, seed: StoreSeed): Promise<RelayStore> {
  const { store } = await openPgStore(
    { url, logger: capturedLogger().logger, recentSize: 10, reconcileMs: 60_000, connectTimeoutMs: 1000 },
    seed,
  );
  cleanups.push(() => store.close());
  return store;
}

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function fileStore(seed: StoreSeed): Promise<{ store: RelayStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vim-lifecycle-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { store } = await FileStore.open(join(dir, 'state.json'), seed, 10);
  cleanups.push(() => store.close());
  return { store, dir };
}

/** Makes every later write of the file store in `dir` fail, as a full or read-only disk would. */
async function makeUnwritable(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o500);
    cleanups.push(() => chmod(dir, 0o700));
    return;
  }
  try {
    await run('chattr', ['+i', dir]);
    cleanups.push(() => run('chattr', ['-i', dir]));
  } catch {
    const file = join(dir, 'state.json');
    await rm(file);
    await mkdir(join(file, 'in-the-way'), { recursive: true });
  }
}

/** What Relay builds around a store, with the real listeners and the real retire. */
function catalogueOn(store: RelayStore, dmaap = new ScriptedDestination(), drainTimeoutMs = 2000): VimCatalogue {
  const observer = new MetricsObserver();
  const { logger } = capturedLogger();
  const pipeline = dmaapPipeline(store, dmaap, { observer, logger });
  const catalogue = new VimCatalogue(
    store,
    pipeline,
    {
      transport: FAST_TRANSPORT,
      dedupeWindow: 100,
      drainTimeoutMs,
      defaultSink: 'dmaap',
      sinks: new Set(['dmaap']),
      retire: async (vim, purge) => void (await retireQueue(vim, { purge, transport: FAST_TRANSPORT }, logger)),
    },
    observer,
    logger,
  );
  cleanups.push(() => catalogue.closeAll());
  return catalogue;
}

function testVims(n: number): VimConfig[] {
  return Array.from({ length: n }, () => {
    const { vim, names } = testVim();
    cleanups.push(() => cleanup(names));
    return vim;
  });
}

async function reachable(catalogue: VimCatalogue, id: string): Promise<void> {
  await waitFor(() => catalogue.vim(id)?.status?.status === 'REACHABLE', `${id} REACHABLE`);
  await waitFor(async () => ((await consumers(catalogue.running.get(id)!.vim.queue)) ?? 0) >= 1, `${id} consuming`);
}

/** The runner is the same object, still REACHABLE, its queue consumed: a message published now is taken. */
async function stillConsuming(catalogue: VimCatalogue, vim: VimConfig, runner: unknown): Promise<void> {
  expect(catalogue.running.get(vim.id) === runner).toBe(true);
  expect(catalogue.vim(vim.id)?.status?.status).toBe('REACHABLE');
  expect(await consumers(vim.queue)).toBe(1);
  await withChannel(async (ch) => void publishOslo(ch, vim.exchange, 'notifications.info', osloBody('after')));
  await waitFor(
    () => withChannel(async (ch) => (await ch.checkQueue(vim.queue)).messageCount === 0),
    'the message published after the failed change to be taken',
  );
}

async function rejected(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected the change to be refused');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

describe('a VIM change whose store write fails (defect 1)', () => {
  it('PostgreSQL away: PUT and DELETE answer STORE_UNAVAILABLE and the old runner keeps consuming', async () => {
    const [vim] = testVims(1);
    const db = await database();
    const proxy: TcpProxy = await startTcpProxy(5432);
    cleanups.push(() => proxy.close());
    const store = await pgStore(db, db.urlVia(proxy.port), seeded([vim]));
    const catalogue = catalogueOn(store);
    await catalogue.startAll();
    await reachable(catalogue, vim.id);
    const runner = catalogue.running.get(vim.id);

    proxy.pause();
    proxy.cutAll();
    await waitFor(() => !store.health().ok, 'the store to say down', 5000, 10);
    const put = await rejected(catalogue.putVim(vim.id, { ...spec(vim), queue: `${vim.queue}-v2` }));
    expect(put.code).toBe('STORE_UNAVAILABLE');
    await stillConsuming(catalogue, vim, runner);
    const del = await rejected(catalogue.deleteVim(vim.id, true));
    expect(del.code).toBe('STORE_UNAVAILABLE');
    await stillConsuming(catalogue, vim, runner);
    expect(store.get().vims.map((v) => v.queue)).toEqual([vim.queue]);

    // Once the store is back the same change goes through, and only then the runner moves.
    proxy.resume();
    await waitFor(() => store.health().ok, 'the store to come back', 15_000, 20);
    cleanups.push(() => cleanup({ queues: [`${vim.queue}-v2`, `${vim.queue}-v2.dead`] }));
    await catalogue.putVim(vim.id, { ...spec(vim), queue: `${vim.queue}-v2` });
    expect(catalogue.running.get(vim.id)?.vim.queue).toBe(`${vim.queue}-v2`);
    await reachable(catalogue, vim.id);
  });

  it('file store directory unwritable: PUT and DELETE fail and the old runner keeps consuming', async () => {
    const [vim] = testVims(1);
    const { store, dir } = await fileStore(seeded([vim]));
    const catalogue = catalogueOn(store);
    await catalogue.startAll();
    await reachable(catalogue, vim.id);
    const runner = catalogue.running.get(vim.id);

    await makeUnwritable(dir);
    const put = await rejected(catalogue.putVim(vim.id, { ...spec(vim), queue: `${vim.queue}-v2` }));
    expect(put.message).toMatch(/EPERM|EACCES|EISDIR|ENOTEMPTY|not permitted/);
    await stillConsuming(catalogue, vim, runner);
    await rejected(catalogue.deleteVim(vim.id, false));
    await stillConsuming(catalogue, vim, runner);
    expect(store.get().vims.map((v) => v.queue)).toEqual([vim.queue]);
  });
});

describe('reconcile reads the store when its turn runs (defect 2)', () => {
  it('a reconcile queued behind a local PUT does not put the runner back to the old spec', async () => {
    const [vim] = testVims(1);
    const v2 = `${vim.queue}-v2`;
    cleanups.push(() => cleanup({ queues: [v2, `${v2}.dead`] }));
    const db = await database();
    const store = await pgStore(db, db.url, seeded([vim]));
    const catalogue = catalogueOn(store);
    await catalogue.startAll();
    await reachable(catalogue, vim.id);

    // What another replica's change (store onChange) does while this replica's PUT is under way.
    const put = catalogue.putVim(vim.id, { ...spec(vim), queue: v2 });
    const reconcile = catalogue.reconcile();
    await Promise.all([put, reconcile]);
    expect(store.get().vims.map((v) => v.queue)).toEqual([v2]);
    expect(catalogue.running.get(vim.id)?.vim.queue).toBe(v2);
    await reachable(catalogue, vim.id);
    expect(await consumers(vim.queue)).toBe(0);
  });

  it("another replica's change heard during a drain does not undo a local change queued before it", async () => {
    const [vim] = testVims(1);
    const q = (n: number): string => `${vim.queue}-v${n}`;
    cleanups.push(() => cleanup({ queues: [2, 3, 4].flatMap((n) => [q(n), `${q(n)}.dead`]) }));
    const db = await database();
    const seed: StoreSeed = {
      vims: [spec(vim)],
      subscriptions: [{ id: 'off', vimId: vim.id, states: ['POWER_OFF'], topic: 'T' }],
    };
    const a = await pgStore(db, db.url, seed);
    const b = await pgStore(db, db.url, seed);
    // DMaaP holds the one notification: replica a's drain of its VIM waits for it.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const dmaap = new ScriptedDestination(() => held);
    const catalogue = catalogueOn(a, dmaap, 60_000);
    // As Relay.start() wires it: a change another replica made reconciles this one.
    const reconciles: Promise<void>[] = [];
    a.onChange((kinds) => void (kinds.includes('vims') && reconciles.push(catalogue.reconcile())));
    await catalogue.startAll();
    await reachable(catalogue, vim.id);
    const sample = expandVersioned('instance-power_off-end.json');
    await withChannel(async (ch) =>
      ch.publish(vim.exchange, 'versioned_notifications.info', Buffer.from(JSON.stringify(toWireV2(sample)))),
    );
    await waitFor(() => dmaap.calls.length === 1, 'the notification held at DMaaP');

    const put2 = catalogue.putVim(vim.id, { ...spec(vim), queue: q(2) });
    // The runner leaves the map as its stop begins; the stop waits for the held notification.
    await waitFor(() => !catalogue.running.has(vim.id), 'the v1 listener draining');
    const put4 = catalogue.putVim(vim.id, { ...spec(vim), queue: q(4) });
    await b.update((s) => {
      s.vims = [{ ...spec(vim), queue: q(3) }];
    });
    await waitFor(() => reconciles.length > 0, "replica a to hear b's change");
    answer();
    await Promise.all([put2, put4, ...reconciles]);
    expect(a.get().vims.map((v) => v.queue)).toEqual([q(4)]);
    expect(catalogue.running.get(vim.id)?.vim.queue).toBe(q(4));
    await reachable(catalogue, vim.id);
    expect(await consumers(q(3))).toBeFalsy();
  });

  it('a reconcile queued behind a local DELETE with purge starts nothing and leaves no queue', async () => {
    const [vim] = testVims(1);
    const db = await database();
    const store = await pgStore(db, db.url, seeded([vim]));
    const catalogue = catalogueOn(store);
    await catalogue.startAll();
    await reachable(catalogue, vim.id);

    const del = catalogue.deleteVim(vim.id, true);
    const reconcile = catalogue.reconcile();
    expect(await del).toBe(true);
    await reconcile;
    expect(store.get().vims).toEqual([]);
    expect(catalogue.running.has(vim.id)).toBe(false);
    expect(await consumers(vim.queue)).toBeUndefined();
    expect(await consumers(vim.deadLetterQueue)).toBeUndefined();
  });
});

describe('starting is idempotent (defect 8)', () => {
  it('a store change during start-up (reconcile) and startAll start each VIM once; closeAll leaves no consumer', async () => {
    const vims = testVims(2);
    const { store } = await fileStore(seeded(vims));
    const catalogue = catalogueOn(store);
    // Relay.start(): the store's onChange may reconcile before startAll() runs.
    await Promise.all([catalogue.reconcile(), catalogue.startAll()]);
    for (const vim of vims) await reachable(catalogue, vim.id);
    await catalogue.startAll();
    for (const vim of vims) expect(await consumers(vim.queue)).toBe(1);
    expect(catalogue.running.size).toBe(2);
    await catalogue.closeAll();
    for (const vim of vims)
      await waitFor(async () => (await consumers(vim.queue)) === 0, `no consumer left on ${vim.queue}`, 5000);
  });
});
