/**
 * The PostgreSQL store's schema against the real server: migrations are recorded and run once,
 * three replicas opening one new database at once do not race (one migrates and seeds), and a
 * database migrated by a newer relay is refused.
 */
import pg from 'pg';
import { RelayError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/open.js';
import { openPgStore } from '../../../src/store/pg/open.js';
import { MIGRATION_LOCK, MIGRATIONS } from '../../../src/store/pg/migrations.js';
import type { RelayStore } from '../../../src/store/store.js';
import type { StoreSeed } from '../../../src/store/state.js';
import { capturedLogger, createTestDatabase, PG_PASSWORD, type TestDatabase } from '../../helpers/postgres.js';
import { sleep } from '../../helpers/wait.js';

const seed: StoreSeed = {
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
  subscriptions: [{ id: 'vio-1-power', vimId: 'vio-1', states: ['power_off', 'DELETE'], topic: 'VIM_VM_EVENTS' }],
};

let db: TestDatabase;
const open: RelayStore[] = [];
const log = capturedLogger();

function openOne(url = db.url) {
  return openPgStore({ url, logger: log.logger, recentSize: 10, reconcileMs: 5000, connectTimeoutMs: 2000 }, seed).then(
    (o) => {
      open.push(o.store);
      return o;
    },
  );
}

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await db.drop();
});

describe('PgStore migrations', () => {
  it('creates the schema and seeds once; a second open migrates nothing and ignores the seed', async () => {
    const first = await openOne();
    expect(first.seeded).toBe(true);
    expect(first.store.get().vims).toEqual(seed.vims);
    // Seeded as the file store seeds: states upper-case.
    expect(first.store.get().subscriptions).toEqual([{ ...seed.subscriptions[0], states: ['POWER_OFF', 'DELETE'] }]);
    await first.store.update((s) => {
      s.subscriptions = [];
    });
    await first.store.close();
    open.length = 0;

    const second = await openOne();
    expect(second.seeded).toBe(false);
    // Emptied through the API stays empty: the seed is for the first start only.
    expect(second.store.get().subscriptions).toEqual([]);
    const { rows } = await db.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(log.lines()).not.toContain(PG_PASSWORD);
  });

  it('three stores opening one new database at once: all open, one seeds, each migration recorded once', async () => {
    const started = Date.now();
    const all = await Promise.all([openOne(), openOne(), openOne()]);
    console.log(`three replicas opened one new database in ${Date.now() - started} ms`);
    expect(all.filter((o) => o.seeded)).toHaveLength(1);
    for (const o of all) expect(o.store.get().vims.map((v) => v.id)).toEqual(['vio-1']);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(MIGRATIONS.length);
    const vims = await db.query('SELECT count(*)::int AS n FROM relay_vims');
    expect(vims.rows[0].n).toBe(1);
  });

  it('a replica waits for the migration lock longer than its statement timeout, then opens the store migrated and seeded', async () => {
    // Another session (a replica migrating a big schema) holds the lock for 2.5 s; the store's statement timeout is 2 s.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const started = Date.now();
      const released = sleep(2500).then(() => holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]));
      const opened = await openOne();
      await released;
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
      expect(opened.seeded).toBe(true);
      expect(opened.store.get().vims.map((v) => v.id)).toEqual(['vio-1']);
      expect(log.lines()).toContain('waiting for another replica to migrate and seed the store');
    } finally {
      await holder.end();
    }
  });

  it('openStore opens PostgreSQL when store.url is set', async () => {
    const { store, seeded } = await openStore(
      {
        store: { path: '/nonexistent/never-used.json', url: db.url, reconcileMs: 5000, timeoutMs: 2000 },
        recent: { windowSize: 10 },
      },
      seed,
      log.logger,
    );
    open.push(store);
    expect(store.engine).toBe('postgres');
    expect(seeded).toBe(true);
    expect(store.health().ok).toBe(true);
  });

  it('refuses a database migrated by a newer relay, naming both versions', async () => {
    await (await openOne()).store.close();
    open.length = 0;
    await db.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
    const e = await openOne().then(
      () => undefined,
      (x: unknown) => x as RelayError,
    );
    expect(e).toBeInstanceOf(RelayError);
    expect(e!.code).toBe('STORE_CORRUPT');
    expect(e!.message).toMatch(/schema version 99, newer than this relay's 1/);
  });

  it('a database that does not exist: STORE_UNAVAILABLE naming store.url, the password masked', async () => {
    const e = await openOne(db.url.replace(/\/[^/]+$/, '/no_such_database_here')).then(
      () => undefined,
      (x: unknown) => x as RelayError,
    );
    expect(e!.code).toBe('STORE_UNAVAILABLE');
    expect(e!.message).toMatch(/store\.url \(VIM_EVENT_RELAY_STORE_URL\)/);
    expect(e!.message).toMatch(/no_such_database_here/);
    expect(e!.message).not.toContain(PG_PASSWORD);
  });
});
