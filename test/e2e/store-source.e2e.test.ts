/**
 * Which source the VIMs and subscriptions come from once a store exists: run warns when
 * VIM_EVENT_RELAY_VIMS differs from the store and re-seeds on --reseed; check-config says which
 * source is in force; replay reads the configured store (file or PostgreSQL), read-only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, spawnDaemon, stopDaemon, tempDir } from '../helpers/daemon.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { loadJson } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

// Nothing listens on port 1: the VIMs stay PENDING, which is all these tests need.
const vimOf = (id: string) => ({ id, transportUrl: `rabbit://guest:guest@127.0.0.1:1/` });
const envVims = (...ids: string[]) => ({ VIM_EVENT_RELAY_VIMS: JSON.stringify(ids.map(vimOf)) });

function storeFile(dir: string, vimIds: string[]): string {
  const file = path.join(dir, 'state.json');
  const state = { version: 2, vims: vimIds.map(vimOf), subscriptions: [], computeNodes: {}, vesAgents: {}, alarms: {} };
  writeFileSync(file, JSON.stringify(state));
  return file;
}

describe('the store as the source of VIMs and subscriptions', () => {
  it('run warns, naming VIM_EVENT_RELAY_VIMS and the ids that differ, and --reseed makes the variable win', async () => {
    const dir = tempDir('ver-seed-');
    const file = storeFile(dir, ['old-1', 'both']);
    const env = envVims('both', 'new-1');
    const d = await spawnDaemon({}, { dir, env });
    await stopDaemon(d);
    const warn = d.lines.find((l) => l.level === 'warn' && String(l.message).includes('VIM_EVENT_RELAY_VIMS'));
    expect(warn).toBeDefined();
    expect(warn).toMatchObject({ onlyInVariable: ['new-1'], onlyInStore: ['old-1'] });
    expect(String(warn!.message)).toContain('--reseed');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { vims: { id: string }[] }).vims.map((v) => v.id)).toEqual([
      'old-1',
      'both',
    ]);

    const r = await spawnDaemon({}, { dir, env, args: ['--reseed'] });
    await waitFor(() => r.lines.find((l) => String(l.message).startsWith('store re-seeded')), 're-seed', 10000);
    await stopDaemon(r);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { vims: { id: string }[] }).vims.map((v) => v.id)).toEqual([
      'both',
      'new-1',
    ]);
    expect(r.lines.some((l) => l.level === 'warn' && String(l.message).includes('VIM_EVENT_RELAY_VIMS'))).toBe(false);
  }, 60000);

  it('check-config says which source is in force and warns when the variable differs from the store', async () => {
    const dir = tempDir('ver-seed-');
    const storePath = storeFile(dir, ['old-1']);
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ store: { path: storePath } }));
    const r = await runCli(['check-config', '--config', config], { env: envVims('new-1') });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`vims and subscriptions in force: the store (${storePath})`);
    expect(r.stderr).toMatch(
      /VIM_EVENT_RELAY_VIMS .*ignored.*only in the variable: new-1; only in the store: old-1; different: none/,
    );

    const fresh = path.join(dir, 'fresh.json');
    writeFileSync(fresh, JSON.stringify({ store: { path: path.join(dir, 'none.json') } }));
    const f = await runCli(['check-config', '--config', fresh], { env: envVims('new-1') });
    expect(f.code).toBe(0);
    expect(f.stderr).toContain('vims and subscriptions in force: the config (no store yet: it will seed');
    expect(f.stderr).not.toContain('ignored');
  }, 30000);

  describe('replay on a PostgreSQL store', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('reads the subscriptions from store.url, read-only, and names the source on stderr', async () => {
      const dir = tempDir('ver-replay-pg-');
      // The store: VIM pg-vim with a subscription to topic FROM_PG, seeded by a daemon's first start.
      const d = await spawnDaemon({
        store: { url: db.url },
        vims: [vimOf('pg-vim')],
        subscriptions: [{ id: 'from-pg', vimId: 'pg-vim', states: ['*'], topic: 'FROM_PG' }],
      });
      await stopDaemon(d);
      // The config names other subscriptions: a replay that read the config would publish to FROM_CONFIG.
      const config = path.join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          store: { url: db.url, path: path.join(dir, 'no-file.json') },
          vims: [vimOf('pg-vim')],
          subscriptions: [{ id: 'from-config', vimId: 'pg-vim', states: ['*'], topic: 'FROM_CONFIG' }],
        }),
      );
      const before = await db.query<{ n: string }>('SELECT count(*) AS n FROM relay_subscriptions');
      const file = path.join(dir, 'wire.json');
      writeFileSync(file, JSON.stringify(loadJson('oslo-wire/sample-wire-legacy.json').body));
      const r = await runCli(['replay', '--vim', 'pg-vim', '--config', config, file]);
      expect(r.code).toBe(0);
      const out = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { topic: string });
      expect(out.map((o) => o.topic)).toEqual(['FROM_PG']);
      expect(r.stderr).toContain('the PostgreSQL store (postgres://postgres:***@');
      expect(r.stderr).not.toContain('pg-s3cret');
      const after = await db.query<{ n: string }>('SELECT count(*) AS n FROM relay_subscriptions');
      expect(after.rows[0].n).toBe(before.rows[0].n);
    }, 60000);
  });
});
