/**
 * Where the ControlPlane answers check_vim_status from, by store engine: one daemon on its
 * FileStore from the VIM runner's own window; replicas on PostgreSQL from the window they share
 * (a change taken by one replica is answered by another). Real VimCatalogue, Pipeline, FileStore
 * and PgStore (the local PostgreSQL); only the listeners are scripted, so no broker is needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { VimConfig } from '../../../src/config/vim.js';
import { ControlPlane } from '../../../src/daemon/control-plane.js';
import { MetricsObserver } from '../../../src/daemon/observer.js';
import { VimCatalogue } from '../../../src/daemon/vim-catalogue.js';
import { FileStore } from '../../../src/store/file-store.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import type { StoreSeed } from '../../../src/store/state.js';
import type { RelayStore } from '../../../src/store/store.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import { silentLogger } from '../../../src/util/logger.js';
import { VesAgentRegistry } from '../../../src/ves/agents.js';
import { expandVersioned, toWireV2 } from '../../helpers/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { dmaapPipeline, ScriptedDestination } from '../../helpers/scripted-destination.js';
import { ScriptedListener } from '../../helpers/scripted-listener.js';
import { waitFor } from '../../helpers/wait.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:1/' }],
  subscriptions: [],
};
const sample = expandVersioned('instance-power_off-end.json');
const uuid = sample.payload['nova_object.data'].uuid as string;

interface Daemon {
  readonly control: ControlPlane;
  readonly catalogue: VimCatalogue;
  readonly listener: () => ScriptedListener;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What Relay builds around a store, with scripted listeners; the shared window only on PostgreSQL, as Relay does. */
async function daemonOn(store: RelayStore): Promise<Daemon> {
  const observer = new MetricsObserver();
  const logger = silentLogger();
  const dmaap = new ScriptedDestination();
  const pipeline = dmaapPipeline(store, dmaap, { observer, logger });
  const listeners: ScriptedListener[] = [];
  const catalogue = new VimCatalogue(
    store,
    pipeline,
    {
      transport: DEFAULT_TRANSPORT_OPTIONS,
      dedupeWindow: 100,
      drainTimeoutMs: 1000,
      defaultSink: 'dmaap',
      sinks: new Set(['dmaap']),
      shareRecent: (vimId: string, change: Parameters<RelayStore['pushRecent']>[1]) => store.pushRecent(vimId, change),
      listenerFactory: (vim: VimConfig) => {
        const l = new ScriptedListener(vim);
        listeners.push(l);
        return l;
      },
    },
    observer,
    logger,
  );
  cleanups.push(() => catalogue.closeAll());
  await catalogue.startAll();
  const control = new ControlPlane({
    catalogue,
    store,
    vesAgents: new VesAgentRegistry(store),
    metrics: observer.registry,
    destinations: [dmaap],
  });
  return { control, catalogue, listener: () => listeners.at(-1)! };
}

/** Hands the VIM's listener one power_off.end, as the broker would, and waits for it to be settled. */
async function powerOff(d: Daemon, messageId: string): Promise<void> {
  const delivery = d.listener().deliver(JSON.stringify(toWireV2(sample, { messageId })));
  await waitFor(() => delivery.settled.length > 0, 'the notification settled', 2000);
  expect(delivery.settled).toEqual([{ kind: 'ack' }]);
}

describe('ControlPlane.recentStateChanges on the file store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'control-plane-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("answers from the runner's window, not the store's, and undefined for an unknown VIM", async () => {
    const { store } = await FileStore.open(join(dir, 'state.json'), seed, 10);
    cleanups.push(() => store.close());
    const d = await daemonOn(store);
    expect(await d.control.recentStateChanges('vio-1', ['*'])).toEqual([]);
    await powerOff(d, 'm-file-1');
    expect(await d.control.recentStateChanges('vio-1', ['POWER_OFF'])).toEqual([
      expect.objectContaining({ event: 'POWER_OFF', instance_id: uuid }),
    ]);
    // The window is the store's, one daemon's as well: there is no other.
    expect(await store.queryRecent('vio-1', ['*'])).toEqual([expect.objectContaining({ event: 'POWER_OFF' })]);
    expect(await d.control.recentStateChanges('vio-9', ['*'])).toBeUndefined();
  });
});

describe('ControlPlane.recentStateChanges on PostgreSQL', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
    cleanups.push(() => db.drop());
  });

  it('answers from the shared window: what one replica took, another answers', async () => {
    const open = async () => {
      const { store } = await openPgStore(
        { url: db.url, logger: silentLogger(), recentSize: 10, reconcileMs: 60_000, connectTimeoutMs: 2000 },
        seed,
      );
      cleanups.push(() => store.close());
      return store;
    };
    const a = await daemonOn(await open());
    const b = await daemonOn(await open());
    await powerOff(a, 'm-pg-1');
    const fromB = await waitFor(
      async () => {
        const got = await b.control.recentStateChanges('vio-1', ['POWER_OFF']);
        return got && got.length > 0 ? got : undefined;
      },
      'the change in the shared window',
      5000,
    );
    expect(fromB).toEqual([expect.objectContaining({ event: 'POWER_OFF', instance_id: uuid })]);
    expect(await a.control.recentStateChanges('vio-1', ['*'])).toEqual(fromB);
  });
});
