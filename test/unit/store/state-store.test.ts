import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayError } from '../../../src/errors.js';
import { StateStore, type StoreSeed } from '../../../src/store/state-store.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [{ id: 'vio-1-power', vimId: 'vio-1', states: ['POWER_OFF', 'DELETE'], topic: 'VIM_VM_EVENTS' }],
};

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-store-'));
  path = join(dir, 'data', 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openError(p: string): Promise<RelayError> {
  try {
    await StateStore.open(p, seed);
  } catch (e) {
    return e as RelayError;
  }
  throw new Error('open succeeded');
}

describe('StateStore.open', () => {
  it('seeds a missing file from the config, creating the directory, mode 0600', async () => {
    const { store, seeded } = await StateStore.open(path, seed);
    expect(seeded).toBe(true);
    expect(store.get()).toEqual({ version: 1, vims: seed.vims, subscriptions: seed.subscriptions, computeNodes: {} });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(store.get());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('uses an existing valid file and ignores the seed', async () => {
    const { store } = await StateStore.open(path, seed);
    await store.update((d) => {
      d.vims = [{ id: 'vio-2', transportUrl: 'amqp://u:p@h:5672/' }];
      d.subscriptions = [];
    });
    const again = await StateStore.open(path, seed);
    expect(again.seeded).toBe(false);
    expect(again.store.get().vims.map((v) => v.id)).toEqual(['vio-2']);
    expect(again.store.get().subscriptions).toEqual([]);
  });

  it('round-trips compute-node memory and every VIM field', async () => {
    const { store } = await StateStore.open(path, { vims: [], subscriptions: [] });
    const vim = {
      id: 'v', transportUrl: 'rabbit://a:b@h1:5672,a:b@h2:5672/vh?ssl=1', exchange: 'nova', exchangeDurable: true,
      topics: ['notifications'], priorities: ['info'], queue: 'q', deadLetterQueue: 'q.dead', addresses: ['/queues/q'],
    };
    await store.update((d) => {
      d.vims.push(vim);
      d.subscriptions.push({ id: 's', vimId: 'v', states: ['*'], topic: 'T', phases: ['start', 'end'] });
      d.computeNodes.v = { 'host1/node1': { vcpus: 8, memory_mb: 16384, hypervisor_hostname: 'node1' } };
    });
    const { store: reopened } = await StateStore.open(path, seed);
    expect(reopened.get()).toEqual(store.get());
    expect(reopened.get().computeNodes.v?.['host1/node1']?.vcpus).toBe(8);
  });

  const corruptCases: [string, string, RegExp][] = [
    ['truncated JSON (a torn write)', '{"version":1,"vims":[{"id":"vio-1","transp', /not valid JSON/],
    ['an empty file', '', /it is empty/],
    ['garbage bytes', '\u0000\u0001garbage\u00ff', /not valid JSON/],
    ['a wrong version', JSON.stringify({ version: 2, vims: [], subscriptions: [], computeNodes: {} }), /version 2; this relay reads version 1/],
    ['no version', JSON.stringify({ vims: [], subscriptions: [], computeNodes: {} }), /no "version"/],
    ['an array', '[]', /state must be an object/],
    ['a VIM without a transportUrl', JSON.stringify({ version: 1, vims: [{ id: 'a' }], subscriptions: [], computeNodes: {} }), /state\.vims\[0\]\.transportUrl is required/],
    ['a lower-case stored state', JSON.stringify({ version: 1, vims: [], subscriptions: [{ id: 's', vimId: 'a', states: ['create'], topic: 'T' }], computeNodes: {} }), /state\.subscriptions\[0\]\.states\[0\] "create" must be one of/],
    ['a duplicate VIM id', JSON.stringify({ version: 1, vims: [{ id: 'a', transportUrl: 'rabbit://h/' }, { id: 'a', transportUrl: 'rabbit://h/' }], subscriptions: [], computeNodes: {} }), /VIM id "a" appears twice/],
    ['an unknown top-level key', JSON.stringify({ version: 1, vims: [], subscriptions: [], computeNodes: {}, extra: 1 }), /state\.extra is not a known property/],
  ];

  it.each(corruptCases)('refuses %s and leaves the file untouched', async (_name, content, why) => {
    await StateStore.open(path, seed); // creates the directory
    await writeFile(path, content);
    const err = await openError(path);
    expect(err).toBeInstanceOf(RelayError);
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toMatch(why);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Restore it from a backup, or move it away/);
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('stores seeded states upper-case, as the config accepts any case', async () => {
    const lower = { vims: seed.vims, subscriptions: [{ ...seed.subscriptions[0]!, states: ['power_off', ' Delete'] }] };
    const { store } = await StateStore.open(path, lower);
    expect(store.get().subscriptions[0]!.states).toEqual(['POWER_OFF', 'DELETE']);
  });

  it('refuses a seed the store could not load again', async () => {
    const bad = { vims: [{ id: 'bad id', transportUrl: 'rabbit://h/' }], subscriptions: [] };
    await expect(StateStore.open(path, bad)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('removes temp files a crash left behind', async () => {
    await StateStore.open(path, seed);
    await writeFile(`${path}.tmp-999-3`, '{"half');
    await StateStore.open(path, seed);
    expect(await readdir(join(dir, 'data'))).toEqual(['state.json']);
  });
});

describe('StateStore.update', () => {
  it('persists every one of many concurrent updates, in call order', async () => {
    const { store } = await StateStore.open(path, { vims: [], subscriptions: [] });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.update((d) => {
          order.push(i);
          d.vims.push({ id: `v${i}`, transportUrl: `rabbit://u:p${i}@h/` });
        }),
      ),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const ids = Array.from({ length: 40 }, (_, i) => `v${i}`);
    expect(store.get().vims.map((v) => v.id)).toEqual(ids);
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { vims: { id: string }[] };
    expect(onDisk.vims.map((v) => v.id)).toEqual(ids);
    expect(await readdir(join(dir, 'data'))).toEqual(['state.json']);
  });

  it('rejects a mutator that throws or leaves an invalid state, and keeps going', async () => {
    const { store } = await StateStore.open(path, seed);
    const boom = store.update(() => {
      throw new Error('boom');
    });
    const invalid = store.update((d) => {
      d.subscriptions.push({ id: 's2', vimId: 'vio-1', states: ['nope'], topic: 'T' });
    });
    const good = store.update((d) => {
      d.subscriptions = [];
    });
    await expect(boom).rejects.toThrow('boom');
    await expect(invalid).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await good;
    expect(store.get().subscriptions).toEqual([]);
    expect(JSON.parse(await readFile(path, 'utf8')).subscriptions).toEqual([]);
  });

  it('hands out a frozen state so it can change only through update()', async () => {
    const { store } = await StateStore.open(path, seed);
    expect(() => (store.get().vims as unknown[]).push({})).toThrow(/not extensible/);
    const before = store.get();
    await store.update((d) => {
      d.vims = [];
    });
    expect(before.vims).toHaveLength(1);
  });
});
