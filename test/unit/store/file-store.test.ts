import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateChange } from '../../../src/model/state-change.js';
import { FileStore } from '../../../src/store/file-store.js';
import { openStore } from '../../../src/store/open.js';
import { createLogger } from '../../../src/util/logger.js';

const seed = { vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }], subscriptions: [] };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = async () => (await FileStore.open(join(dir, 'state.json'), seed, 3)).store;

describe('FileStore', () => {
  it('openStore picks the file when store.url is empty; health is always ok', async () => {
    const logger = createLogger({ level: 'error', format: 'json' });
    const { store, seeded } = await openStore(
      { store: { path: join(dir, 's.json'), url: '', reconcileMs: 5000, timeoutMs: 5000 }, recent: { windowSize: 3 } },
      seed,
      logger,
    );
    expect(store.engine).toBe('file');
    expect(seeded).toBe(true);
    expect(store.health().ok).toBe(true);
    await store.close();
  });

  it('compareAndSet: of two callers with the same version one wins; a stale version loses and learns the row', async () => {
    const s = await open();
    expect(s.versionOf('computeNodes', 'vio-1', 'n')).toBe(0);
    const [x, y] = await Promise.all([
      s.compareAndSet('computeNodes', 'vio-1', 'n', 0, { by: 'x' }),
      s.compareAndSet('computeNodes', 'vio-1', 'n', 0, { by: 'y' }),
    ]);
    expect([x.ok, y.ok]).toEqual([true, false]);
    expect(y).toEqual({ ok: false, version: x.version, value: { by: 'x' } });
    expect(s.get().computeNodes).toEqual({ 'vio-1': { n: { by: 'x' } } });
    // Deleted and created again: a new version, so a holder of the first one cannot write.
    expect((await s.compareAndSet('computeNodes', 'vio-1', 'n', x.version, undefined)).ok).toBe(true);
    expect(s.get().computeNodes).toEqual({});
    const again = await s.compareAndSet('computeNodes', 'vio-1', 'n', 0, { by: 'z' });
    expect(again.version).not.toBe(x.version);
    expect((await s.compareAndSet('computeNodes', 'vio-1', 'n', x.version, { by: 'stale' })).ok).toBe(false);
  });

  it('compareAndSet refuses an alarm that is not an AlarmRecord (VALIDATION_FAILED, nothing written)', async () => {
    const s = await open();
    await expect(s.compareAndSet('alarms', 'vio-1', 'i-1', 0, { by: 'x' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/state\.alarms\.vio-1\.i-1\.eventId is required/),
    });
    expect(s.get().alarms).toEqual({});
    expect(s.versionOf('alarms', 'vio-1', 'i-1')).toBe(0);
  });

  it('update() bumps the version of the rows it changed only', async () => {
    const s = await open();
    await s.compareAndSet('computeNodes', 'vio-1', 'a', 0, { v: 1 });
    await s.compareAndSet('computeNodes', 'vio-1', 'b', 0, { v: 1 });
    const va = s.versionOf('computeNodes', 'vio-1', 'a');
    const vb = s.versionOf('computeNodes', 'vio-1', 'b');
    await s.update((d) => {
      d.computeNodes['vio-1']['a'] = { v: 2 };
    });
    expect(s.versionOf('computeNodes', 'vio-1', 'a')).toBeGreaterThan(va);
    expect(s.versionOf('computeNodes', 'vio-1', 'b')).toBe(vb);
  });

  it('keeps the newest recent.windowSize state changes per VIM in memory', async () => {
    const s = await open();
    const c = (i: number): StateChange => ({
      state_description: null,
      launched_at: null,
      instance_id: `i${i}`,
      display_name: null,
      state: null,
      event: i % 2 ? 'DELETE' : 'POWER_OFF',
      timestamp: '',
    });
    for (let i = 0; i < 5; i++) s.pushRecent('vio-1', c(i));
    expect((await s.queryRecent('vio-1', ['*'])).map((x) => x.instance_id)).toEqual(['i4', 'i3', 'i2']);
    expect((await s.queryRecent('vio-1', ['delete'])).map((x) => x.instance_id)).toEqual(['i3']);
    s.dropRecent('vio-1');
    expect(await s.queryRecent('vio-1', ['*'])).toEqual([]);
  });
});
