/**
 * VimCatalogue over a real StateFile in a temp dir, with scripted listeners (through the
 * runner's listenerFactory) so that the order in which listeners start and stop, which is the
 * point of serialising one VIM's changes, can be read exactly. One test keeps the real AMQP
 * listener, on a closed loopback port, for the status a VIM without a broker shows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { VimCatalogue, type CatalogueOptions, type CatalogueStore } from '../../../src/daemon/vim-catalogue.js';
import { Pipeline } from '../../../src/daemon/pipeline.js';
import { MetricsObserver } from '../../../src/daemon/observer.js';
import { applyVimDefaults, type VimConfig, type VimSpec } from '../../../src/config/vim.js';
import { RelayError } from '../../../src/errors.js';
import type { SinkName } from '../../../src/publish/destination.js';
import { StateFile } from '../../../src/store/state-file.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import { createLogger } from '../../../src/util/logger.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';
import { waitFor } from '../../helpers/wait.js';
import { ScriptedListener } from '../../helpers/scripted-listener.js';

const url = (port: number): string => `rabbit://guest:guest@127.0.0.1:${port}/`;
const body = (port = 1, extra: Partial<VimSpec> = {}): Omit<VimSpec, 'id'> => ({ transportUrl: url(port), ...extra });

/** Records, in order, "<listener n> <call>" and the most listeners of one VIM open at once. */
class Recorder {
  readonly events: string[] = [];
  readonly listeners: ScriptedListener[] = [];
  private readonly open = new Map<string, number>();
  maxOpen = 0;
  /** Awaited by listener n's stopConsuming before it goes on (a test holds a stop with it). */
  stopGate: (n: number) => Promise<void> = () => Promise.resolve();

  listener(vim: VimConfig): ScriptedListener {
    const n = this.listeners.length + 1;
    const opened = (): void => this.opened(vim.id);
    const closed = (): void => this.closed(vim.id);
    const events = this.events;
    const gate = (): Promise<void> => this.stopGate(n);
    const l = new (class extends ScriptedListener {
      override async start(onDelivery: Parameters<ScriptedListener['start']>[0]): Promise<void> {
        opened();
        events.push(`L${n} start`);
        await super.start(onDelivery);
      }
      override async stopConsuming(): Promise<void> {
        events.push(`L${n} stopConsuming`);
        await gate();
        // A broker takes a moment to confirm the cancel: without serialisation, changes interleave here.
        await new Promise((resolve) => setTimeout(resolve, 5));
        await super.stopConsuming();
      }
      override async close(): Promise<void> {
        events.push(`L${n} close`);
        await super.close();
        closed();
      }
    })(vim);
    this.listeners.push(l);
    return l;
  }

  private opened(id: string): void {
    const open = (this.open.get(id) ?? 0) + 1;
    this.open.set(id, open);
    this.maxOpen = Math.max(this.maxOpen, open);
  }

  private closed(id: string): void {
    this.open.set(id, (this.open.get(id) ?? 0) - 1);
  }
}

let dir: string;
const catalogues: VimCatalogue[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vim-catalogue-'));
});
afterEach(async () => {
  for (const c of catalogues.splice(0)) await c.closeAll();
  await rm(dir, { recursive: true, force: true });
});

function logLines() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { logger: createLogger({ level: 'debug', format: 'json', stream }), lines };
}

interface SetupOptions {
  readonly sinks?: readonly SinkName[];
  readonly retire?: CatalogueOptions['retire'];
  /** false = the real AMQP listeners. */
  readonly scripted?: boolean;
}

async function setup(o: SetupOptions = {}) {
  const { store } = await StateFile.open(join(dir, 'state.json'), { vims: [], subscriptions: [] });
  const rec = new Recorder();
  const observer = new MetricsObserver();
  const { logger, lines } = logLines();
  // The pipeline asks the catalogue built after it (only once deliveries flow).
  const pipeline = new Pipeline({
    destinations: { dmaap: new ScriptedDestination() },
    defaultSink: 'dmaap',
    subscriptions: () => catalogue.subscriptions(),
    observer,
    logger,
    maxBodyBytes: 1 << 20,
  });
  // What the catalogue writes through: the store, or a test's faulty stand-in for it.
  const through: { store: CatalogueStore } = { store };
  const forwarding: CatalogueStore = {
    get: () => through.store.get(),
    update: (mutator) => through.store.update(mutator),
    dropRecent: (vimId) => through.store.dropRecent?.(vimId),
    refresh: () => through.store.refresh?.() ?? Promise.resolve(),
  };
  const catalogue: VimCatalogue = new VimCatalogue(
    forwarding,
    pipeline,
    {
      transport: { ...DEFAULT_TRANSPORT_OPTIONS, reconnectInitialMs: 50, reconnectMaxMs: 100 },
      dedupeWindow: 100,
      drainTimeoutMs: 1000,
      defaultSink: 'dmaap',
      sinks: new Set(o.sinks ?? ['dmaap']),
      ...(o.scripted === false ? {} : { listenerFactory: (v: VimConfig) => rec.listener(v) }),
      ...(o.retire ? { retire: o.retire } : {}),
    },
    observer,
    logger,
  );
  catalogues.push(catalogue);
  return { catalogue, store, rec, observer, lines, through };
}

async function codeOf(p: Promise<unknown>): Promise<RelayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RelayError) return e;
    throw e;
  }
  throw new Error('expected a RelayError, it resolved');
}

describe('VimCatalogue.putVim', () => {
  it('refuses an invalid VIM with VALIDATION_FAILED naming the body field, without its secret, and stores nothing', async () => {
    const { catalogue, store, rec } = await setup();
    const refusal = (b: Omit<VimSpec, 'id'>) => codeOf(Promise.resolve().then(() => catalogue.putVim('v1', b)));
    // The transport_url check: the item path "vims[0]" becomes "body".
    await expect(refusal(body(99999))).resolves.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'body.transportUrl: port "99999" of host 127.0.0.1 is not a number from 1 to 65535',
    });
    // The schema check names the field the JSON-pointer way.
    const scheme = await refusal({ transportUrl: 'http://admin:s3cret@127.0.0.1:1/' });
    expect(scheme.code).toBe('VALIDATION_FAILED');
    expect(scheme.message).toMatch(
      /^body\.transportUrl "http:\/\/admin:\*+@127\.0\.0\.1:1\/" does not match: a rabbit:\/\/, kombu:\/\/, amqp:\/\/ or amqps:\/\/ URL/,
    );
    expect(scheme.message).not.toContain('s3cret');
    const wrongType = await refusal({ ...body(), exchange: 5 as unknown as string });
    expect(wrongType).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^body\.exchange must be a string/),
    });
    expect(store.get().vims).toEqual([]);
    expect(rec.listeners).toHaveLength(0);
  });

  it('creates a VIM with its defaults and starts its listener', async () => {
    const { catalogue, store, rec } = await setup();
    const res = await catalogue.putVim('v1', body());
    expect(res).toEqual({ created: true, vim: applyVimDefaults({ id: 'v1', transportUrl: url(1) }) });
    expect(store.get().vims).toEqual([{ id: 'v1', transportUrl: url(1) }]);
    expect(rec.events).toEqual(['L1 start']);
    expect(catalogue.running.get('v1')?.vim.id).toBe('v1');
    expect(catalogue.vim('v1')?.status?.status).toBe('PENDING');
  });

  it('replaces without a restart when nothing changed, and restarts when something did', async () => {
    const { catalogue, store, rec } = await setup();
    await catalogue.putVim('v1', body());
    const same = await catalogue.putVim('v1', body(1, { exchange: 'nova' })); // the default, spelt out
    expect(same.created).toBe(false);
    expect(rec.events).toEqual(['L1 start']);
    const changed = await catalogue.putVim('v1', body(1, { queue: 'q-new' }));
    expect(changed).toMatchObject({ created: false, vim: { queue: 'q-new', deadLetterQueue: 'q-new.dead' } });
    expect(rec.events).toEqual(['L1 start', 'L1 stopConsuming', 'L1 close', 'L2 start']);
    expect(store.get().vims).toEqual([{ id: 'v1', transportUrl: url(1), queue: 'q-new' }]);
  });

  it('serialises the changes of one VIM: overlapping PUTs never run two listeners for it at once', async () => {
    const { catalogue, store, rec } = await setup();
    const results = await Promise.all([1, 2, 3].map((port) => catalogue.putVim('v1', body(port))));
    expect(results.map((r) => [r.created, r.vim.transportUrl])).toEqual([
      [true, url(1)],
      [false, url(2)],
      [false, url(3)],
    ]);
    expect(rec.events).toEqual([
      'L1 start',
      'L1 stopConsuming',
      'L1 close',
      'L2 start',
      'L2 stopConsuming',
      'L2 close',
      'L3 start',
    ]);
    expect(rec.maxOpen).toBe(1);
    expect(store.get().vims).toEqual([{ id: 'v1', transportUrl: url(3) }]);
    expect(catalogue.running.get('v1')?.vim.transportUrl).toBe(url(3));
  });

  it('does not serialise different VIMs behind each other', async () => {
    const { catalogue, rec } = await setup();
    await Promise.all([catalogue.putVim('a', body()), catalogue.putVim('b', body())]);
    // a's stop waits until b's has begun: were b's change queued behind a's, neither would end.
    let bStopping!: () => void;
    const bStopped = new Promise<void>((resolve) => (bStopping = resolve));
    rec.stopGate = (n) => (n === 1 ? bStopped : Promise.resolve(n === 2 ? bStopping() : undefined));
    await Promise.all([catalogue.putVim('a', body(2)), catalogue.putVim('b', body(2))]);
    expect(rec.events.slice(2, 4).sort()).toEqual(['L1 stopConsuming', 'L2 stopConsuming']);
    expect(rec.maxOpen).toBe(1);
  });
});

describe('VimCatalogue: two VIMs naming one queue', () => {
  it('refuses a queue or dead-letter queue of another VIM on the same broker and vhost with CONFLICT naming both', async () => {
    const { catalogue, store } = await setup();
    await catalogue.putVim('a', body(1, { queue: 'q' }));
    const sameQueue = await codeOf(catalogue.putVim('b', body(1, { queue: 'q' })));
    expect(sameQueue).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^body\.queue "q" is already the queue of VIM "a" on the same broker and vhost/),
    });
    // b's default dead-letter queue is a's queue's: "q.dead".
    const dead = await codeOf(catalogue.putVim('b', body(1, { queue: 'b', deadLetterQueue: 'q.dead' })));
    expect(dead.message).toMatch(/^body\.deadLetterQueue "q\.dead" is already the deadLetterQueue of VIM "a"/);
    const crossed = await codeOf(catalogue.putVim('b', body(1, { queue: 'q.dead' })));
    expect(crossed.message).toMatch(/^body\.queue "q\.dead" is already the deadLetterQueue of VIM "a"/);
    // One host of a cluster URL in common is the same broker; credentials do not matter.
    const cluster = await codeOf(
      catalogue.putVim('b', { transportUrl: 'rabbit://u:p@10.0.0.9:5672,127.0.0.1:1/', queue: 'q' }),
    );
    expect(cluster.code).toBe('CONFLICT');
    expect(store.get().vims.map((v) => v.id)).toEqual(['a']);
    // Another vhost, another broker, or the VIM itself: allowed.
    await catalogue.putVim('b', { transportUrl: 'rabbit://guest:guest@127.0.0.1:1/other', queue: 'q' });
    await catalogue.putVim('c', body(2, { queue: 'q' }));
    await catalogue.putVim('a', body(1, { queue: 'q', exchange: 'x' }));
    expect(store.get().vims.map((v) => v.id)).toEqual(['b', 'c', 'a']);
  });
});

describe('VimCatalogue: a change the store refuses', () => {
  it('CONFLICT from the store (other replicas kept winning) leaves the listener untouched', async () => {
    const { catalogue, store, rec, through } = await setup();
    await catalogue.putVim('v1', body());
    // A fault on demand: the real file store cannot be made to answer CONFLICT.
    through.store = {
      get: () => store.get(),
      update: () => Promise.reject(new RelayError('CONFLICT', 'store update gave up after 5 attempts')),
    };
    expect((await codeOf(catalogue.putVim('v1', body(2)))).code).toBe('CONFLICT');
    expect((await codeOf(catalogue.deleteVim('v1'))).code).toBe('CONFLICT');
    expect(rec.events).toEqual(['L1 start']);
    expect(catalogue.running.get('v1')?.vim.transportUrl).toBe(url(1));
  });
});

describe('VimCatalogue.deleteVim', () => {
  it('stops the listener, removes the VIM with its subscriptions and compute-node memory, then retires it', async () => {
    const retired: [string, boolean][] = [];
    const { catalogue, store, rec } = await setup({
      retire: async (vim, purge) => void retired.push([vim.queue, purge]),
    });
    await catalogue.putVim('v1', body());
    await catalogue.putVim('v2', body());
    await catalogue.putSubscription('s1', { vimId: 'v1', states: ['POWER_OFF'], topic: 'T' });
    await catalogue.putSubscription('s2', { vimId: 'v2', states: ['POWER_OFF'], topic: 'T' });
    await store.update((s) => {
      s.computeNodes.v1 = { 'host-a': { state: 'up' } };
      s.computeNodes.v2 = { 'host-b': { state: 'up' } };
    });
    expect(await catalogue.deleteVim('v1', true)).toBe(true);
    expect(rec.events).toEqual(['L1 start', 'L2 start', 'L1 stopConsuming', 'L1 close']);
    expect(store.get().vims.map((v) => v.id)).toEqual(['v2']);
    expect(store.get().subscriptions.map((s) => s.id)).toEqual(['s2']);
    expect(store.get().computeNodes).toEqual({ v2: { 'host-b': { state: 'up' } } });
    expect(retired).toEqual([['vim-event-relay.v1', true]]);
    expect([...catalogue.running.keys()]).toEqual(['v2']);
    expect(await catalogue.deleteVim('v1')).toBe(false);
    expect(retired).toHaveLength(1);
  });

  it('logs a warning, not a failure, when retiring the VIM throws', async () => {
    const { catalogue, store, lines } = await setup({
      retire: () => Promise.reject(new Error('NOT_FOUND - no queue')),
    });
    await catalogue.putVim('v1', body());
    await expect(catalogue.deleteVim('v1', false)).resolves.toBe(true);
    expect(store.get().vims).toEqual([]);
    await waitFor(() => lines.some((l) => l.level === 'warn'), 'the retire warning', 2000);
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: "could not unbind the removed VIM's queue; it keeps filling",
        vim: 'v1',
        queue: 'vim-event-relay.v1',
        error: 'NOT_FOUND - no queue',
      }),
    ]);
  });
});

describe('VimCatalogue.putSubscription', () => {
  it('refuses a subscription of an unknown VIM with CONFLICT', async () => {
    const { catalogue, store } = await setup();
    const err = await codeOf(catalogue.putSubscription('s1', { vimId: 'nope', states: ['POWER_OFF'], topic: 'T' }));
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: 'vimId "nope" is not a registered VIM; PUT /api/v1/vims/nope first',
    });
    expect(store.get().subscriptions).toEqual([]);
  });

  it('refuses a sink that is not configured with CONFLICT naming kafka.brokers', async () => {
    const { catalogue, store } = await setup();
    await catalogue.putVim('v1', body());
    const err = await codeOf(
      Promise.resolve().then(() =>
        catalogue.putSubscription('s1', { vimId: 'v1', states: ['POWER_OFF'], topic: 'T', sink: 'kafka' }),
      ),
    );
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('kafka.brokers');
    expect(store.get().subscriptions).toEqual([]);
  });

  it("upper-cases states, stores it, and starts its route's series at zero", async () => {
    const { catalogue, store, observer } = await setup({ sinks: ['dmaap', 'kafka'] });
    await catalogue.putVim('v1', body());
    const res = await catalogue.putSubscription('s1', {
      vimId: 'v1',
      states: ['power_off', 'Delete'],
      topic: 'VM_EVENTS',
      sink: 'kafka',
    });
    expect(res).toEqual({
      created: true,
      subscription: { id: 's1', vimId: 'v1', states: ['POWER_OFF', 'DELETE'], topic: 'VM_EVENTS', sink: 'kafka' },
    });
    expect(store.get().subscriptions).toEqual([res.subscription]);
    const published = (await observer.m.notificationsPublished.get()).values;
    expect(published).toContainEqual(
      expect.objectContaining({ labels: { vim: 'v1', destination: 'kafka', topic: 'VM_EVENTS' }, value: 0 }),
    );
    const again = await catalogue.putSubscription('s1', { vimId: 'v1', states: ['POWER_OFF'], topic: 'VM_EVENTS' });
    expect(again.created).toBe(false);
    expect((await observer.m.notificationsPublished.get()).values).toContainEqual(
      expect.objectContaining({ labels: { vim: 'v1', destination: 'dmaap', topic: 'VM_EVENTS' }, value: 0 }),
    );
  });
});

describe('VimCatalogue.drainAll', () => {
  it('stops consuming on every VIM, returns what is left, and starts no listener afterwards', async () => {
    const { catalogue, store, rec } = await setup();
    await catalogue.putVim('v1', body());
    expect(await catalogue.drainAll(Date.now() + 1000)).toBe(0);
    expect(rec.events).toEqual(['L1 start', 'L1 stopConsuming']);
    const created = await catalogue.putVim('v2', body());
    expect(created.created).toBe(true);
    expect(store.get().vims.map((v) => v.id)).toEqual(['v1', 'v2']);
    await catalogue.putVim('v1', body(2));
    expect(rec.listeners).toHaveLength(1);
    expect([...catalogue.running.keys()]).toEqual([]);
  });
});

describe('VimCatalogue with the real listener', () => {
  it('shows a VIM whose broker port is closed as UNREACHABLE, and deleting it stops the reconnecting', async () => {
    const { catalogue, observer } = await setup({ scripted: false });
    await catalogue.putVim('v1', body(1));
    await waitFor(() => catalogue.vim('v1')?.status?.status === 'UNREACHABLE', 'v1 UNREACHABLE', 5000);
    expect(catalogue.vim('v1')?.status?.reason).toContain('127.0.0.1:1');
    expect(catalogue.vim('v1')?.status?.reason).not.toContain('guest:guest');
    const connected = (await observer.m.vimConnected.get()).values.find((v) => v.labels.vim === 'v1');
    expect(connected?.value).toBe(0);
    expect(await catalogue.deleteVim('v1')).toBe(true);
    expect(catalogue.running.size).toBe(0);
  });
});

describe('a change another replica made moments ago', () => {
  it('is caught up with before a write is refused as not registered or not found', async () => {
    const { catalogue, store, through } = await setup();
    // This replica's snapshot lags the engine (the file) until it refreshes, as a PostgreSQL
    // store's does until another replica's NOTIFY arrives.
    let seen = store.get();
    let refreshes = 0;
    through.store = {
      get: () => seen,
      update: async (mutator) => {
        await store.update(mutator);
        seen = store.get();
      },
      refresh: async () => {
        refreshes++;
        seen = store.get();
      },
    };
    // Another replica adds two VIMs and a subscription.
    await store.update((s) => {
      s.vims = [...s.vims, { id: 'v1', ...body() }, { id: 'v2', ...body(2) }];
      s.subscriptions = [...s.subscriptions, { id: 'other', vimId: 'v2', states: ['ERROR'], topic: 'T' }];
    });
    await expect(
      catalogue.putSubscription('s1', { vimId: 'v1', states: ['ERROR'], topic: 'T' }),
    ).resolves.toMatchObject({ created: true });
    expect(refreshes).toBe(1);
    seen = { ...seen, subscriptions: [] };
    await expect(catalogue.deleteSubscription('other')).resolves.toBe(true);
    seen = { ...seen, vims: seen.vims.filter((v) => v.id !== 'v2') };
    await expect(catalogue.deleteVim('v2')).resolves.toBe(true);
    expect(store.get().vims.map((v) => v.id)).toEqual(['v1']);
    expect(store.get().subscriptions.map((x) => x.id)).toEqual(['s1']);
    // What the engine does not hold either is still refused, after one catch-up.
    const before = refreshes;
    await expect(
      codeOf(catalogue.putSubscription('s2', { vimId: 'nope', states: ['ERROR'], topic: 'T' })),
    ).resolves.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(catalogue.deleteVim('nope')).resolves.toBe(false);
    expect(refreshes).toBe(before + 2);
  });
});
