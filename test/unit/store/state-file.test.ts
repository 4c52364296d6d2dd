import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayError } from '../../../src/errors.js';
import { StateFile } from '../../../src/store/state-file.js';
import { type StoreSeed } from '../../../src/store/state.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [{ id: 'vio-1-power', vimId: 'vio-1', states: ['POWER_OFF', 'DELETE'], topic: 'VIM_VM_EVENTS' }],
};

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-file-'));
  path = join(dir, 'data', 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openError(p: string): Promise<RelayError> {
  try {
    await StateFile.open(p, seed);
  } catch (e) {
    return e as RelayError;
  }
  throw new Error('open succeeded');
}

describe('StateFile.open', () => {
  it('seeds a missing file from the config, creating the directory, mode 0600', async () => {
    const { store, seeded } = await StateFile.open(path, seed);
    expect(seeded).toBe(true);
    expect(store.get()).toEqual({
      version: 2,
      vims: seed.vims,
      subscriptions: seed.subscriptions,
      computeNodes: {},
      vesAgents: {},
      alarms: {},
    });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(store.get());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('uses an existing valid file and ignores the seed', async () => {
    const { store } = await StateFile.open(path, seed);
    await store.update((d) => {
      d.vims = [{ id: 'vio-2', transportUrl: 'amqp://u:p@h:5672/' }];
      d.subscriptions = [];
    });
    const again = await StateFile.open(path, seed);
    expect(again.seeded).toBe(false);
    expect(again.store.get().vims.map((v) => v.id)).toEqual(['vio-2']);
    expect(again.store.get().subscriptions).toEqual([]);
  });

  it('reads a version 1 file (written before VES) as version 2, and writes version 2 on the next update', async () => {
    await StateFile.open(path, seed); // creates the directory
    const v1 = {
      version: 1,
      vims: seed.vims,
      subscriptions: seed.subscriptions,
      computeNodes: { 'vio-1': { 'h/n': { vcpus: 2 } } },
    };
    await writeFile(path, JSON.stringify(v1));
    const { store, seeded } = await StateFile.open(path, seed);
    expect(seeded).toBe(false);
    expect(store.get()).toEqual({ ...v1, version: 2, vesAgents: {}, alarms: {} });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(v1);
    await store.update((d) => {
      d.alarms['vio-1'] = {
        i1: {
          eventId: 'vio-1:i1:1:0',
          startEpochMicrosec: 1,
          sequence: 0,
          state: 'stopped',
          eventType: 'instance.power_off.end',
          messageId: 'm',
          sourceName: 'vm',
        },
      };
    });
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written.version).toBe(2);
    expect(written.alarms['vio-1'].i1.startEpochMicrosec).toBe(1);
    expect((await StateFile.open(path, seed)).store.get()).toEqual(store.get());
  });

  it('round-trips compute-node memory and every VIM field', async () => {
    const { store } = await StateFile.open(path, { vims: [], subscriptions: [] });
    const vim = {
      id: 'v',
      transportUrl: 'rabbit://a:b@h1:5672,a:b@h2:5672/vh?ssl=1',
      exchange: 'nova',
      exchangeDurable: true,
      topics: ['notifications'],
      priorities: ['info'],
      queue: 'q',
      deadLetterQueue: 'q.dead',
      addresses: ['/queues/q'],
    };
    await store.update((d) => {
      d.vims.push(vim);
      d.subscriptions.push({ id: 's', vimId: 'v', states: ['*'], topic: 'T', phases: ['start', 'end'] });
      d.computeNodes.v = { 'host1/node1': { vcpus: 8, memory_mb: 16384, hypervisor_hostname: 'node1' } };
    });
    const { store: reopened } = await StateFile.open(path, seed);
    expect(reopened.get()).toEqual(store.get());
    expect(reopened.get().computeNodes.v?.['host1/node1']?.vcpus).toBe(8);
  });

  const corruptCases: [string, string, RegExp][] = [
    ['truncated JSON (a torn write)', '{"version":1,"vims":[{"id":"vio-1","transp', /not valid JSON/],
    ['an empty file', '', /it is empty/],
    ['garbage bytes', '\u0000\u0001garbage\u00ff', /not valid JSON/],
    [
      'a wrong version',
      JSON.stringify({ version: 3, vims: [], subscriptions: [], computeNodes: {} }),
      /version 3; this relay reads versions 1 and 2/,
    ],
    [
      'a version 2 file without alarms',
      JSON.stringify({ version: 2, vims: [], subscriptions: [], computeNodes: {}, vesAgents: {} }),
      /state\.alarms is required/,
    ],
    [
      'an alarm without its startEpochMicrosec',
      JSON.stringify({
        version: 2,
        vims: [],
        subscriptions: [],
        computeNodes: {},
        vesAgents: {},
        alarms: {
          a: { i: { eventId: 'e', sequence: 0, state: 's', eventType: 't', messageId: 'm', sourceName: 'n' } },
        },
      }),
      /state\.alarms\.a\.i\.startEpochMicrosec is required/,
    ],
    [
      'a VES agent with a backlog of another domain',
      JSON.stringify({
        version: 2,
        vims: [],
        subscriptions: [],
        computeNodes: {},
        alarms: {},
        vesAgents: {
          a: {
            ves_subscription: { endpoint: 'http://c/' },
            updatedAt: '2026-01-01T00:00:00Z',
            backlogs: [{ backlog_uuid: '3f0c1d9e-8c4b-4f5e-9a53-6f1d2a7b8c90', domain: 'pm', type: 'vm' }],
          },
        },
      }),
      /state\.vesAgents\.a\.backlogs\[0\]\.domain "pm" must be one of fault/,
    ],
    ['no version', JSON.stringify({ vims: [], subscriptions: [], computeNodes: {} }), /no "version"/],
    ['an array', '[]', /state must be an object/],
    [
      'a VIM without a transportUrl',
      JSON.stringify({ version: 1, vims: [{ id: 'a' }], subscriptions: [], computeNodes: {} }),
      /state\.vims\[0\]\.transportUrl is required/,
    ],
    [
      'a lower-case stored state',
      JSON.stringify({
        version: 1,
        vims: [],
        subscriptions: [{ id: 's', vimId: 'a', states: ['create'], topic: 'T' }],
        computeNodes: {},
      }),
      /state\.subscriptions\[0\]\.states\[0\] "create" must be one of/,
    ],
    [
      'a duplicate VIM id',
      JSON.stringify({
        version: 1,
        vims: [
          { id: 'a', transportUrl: 'rabbit://h/' },
          { id: 'a', transportUrl: 'rabbit://h/' },
        ],
        subscriptions: [],
        computeNodes: {},
      }),
      /VIM id "a" appears twice/,
    ],
    [
      'an unknown top-level key',
      JSON.stringify({ version: 1, vims: [], subscriptions: [], computeNodes: {}, extra: 1 }),
      /state\.extra is not a known property/,
    ],
  ];

  it.each(corruptCases)('refuses %s and leaves the file untouched', async (_name, content, why) => {
    await StateFile.open(path, seed); // creates the directory
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
    const lower = { vims: seed.vims, subscriptions: [{ ...seed.subscriptions[0], states: ['power_off', ' Delete'] }] };
    const { store } = await StateFile.open(path, lower);
    expect(store.get().subscriptions[0].states).toEqual(['POWER_OFF', 'DELETE']);
  });

  it('refuses a seed the store could not load again', async () => {
    const bad = { vims: [{ id: 'bad id', transportUrl: 'rabbit://h/' }], subscriptions: [] };
    await expect(StateFile.open(path, bad)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('removes temp files a crash left behind', async () => {
    await StateFile.open(path, seed);
    await writeFile(`${path}.tmp-999-3`, '{"half');
    await StateFile.open(path, seed);
    expect(await readdir(join(dir, 'data'))).toEqual(['state.json']);
  });
});

describe('StateFile.update', () => {
  it('persists every one of many concurrent updates, in call order', async () => {
    const { store } = await StateFile.open(path, { vims: [], subscriptions: [] });
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
    const { store } = await StateFile.open(path, seed);
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
    const { store } = await StateFile.open(path, seed);
    expect(() => (store.get().vims as unknown[]).push({})).toThrow(/not extensible/);
    const before = store.get();
    await store.update((d) => {
      d.vims = [];
    });
    expect(before.vims).toHaveLength(1);
  });
});
