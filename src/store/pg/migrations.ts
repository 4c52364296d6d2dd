/**
 * The schema, created and migrated by the daemon itself: numbered migrations recorded in
 * `schema_migrations`, each applied once in its own transaction. Replicas starting together
 * take a session advisory lock first, so exactly one of them migrates (and seeds) while the
 * others wait and then find the work done. Advisory locks are per database, so two relays on
 * different databases of one server never wait for each other.
 */
import type pg from 'pg';
import { RelayError } from '../../errors.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const rowTable = (name: string, keys: string, extra = '') => `
CREATE TABLE ${name} (
  ${keys},
  ${extra}value jsonb NOT NULL,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);`;

const OF_VIM = 'REFERENCES relay_vims (vim_id) ON DELETE CASCADE';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rows for vims, subscriptions, compute nodes, VES agents, alarms; the check_vim_status window',
    sql: `
-- Every row's version comes from one sequence: a row deleted and created again never repeats
-- a version another replica may still hold (compare-and-set stays free of ABA).
CREATE SEQUENCE relay_version_seq;
CREATE TABLE relay_meta (key text PRIMARY KEY, value text NOT NULL);
${rowTable('relay_vims', 'vim_id text PRIMARY KEY', 'ord integer NOT NULL,\n  ')}
-- What belongs to a VIM goes with it, even a row another replica added at the same moment;
-- and nothing can be added for a VIM another replica has just deleted.
${rowTable('relay_subscriptions', 'subscription_id text PRIMARY KEY', `ord integer NOT NULL,\n  vim_id text GENERATED ALWAYS AS (value->>'vimId') STORED NOT NULL ${OF_VIM},\n  `)}
${rowTable('relay_compute_nodes', `vim_id text NOT NULL ${OF_VIM},\n  node text NOT NULL,\n  PRIMARY KEY (vim_id, node)`)}
${rowTable('relay_ves_agents', `vim_id text PRIMARY KEY ${OF_VIM}`)}
${rowTable('relay_alarms', `vim_id text NOT NULL ${OF_VIM},\n  instance_id text NOT NULL,\n  PRIMARY KEY (vim_id, instance_id)`)}
CREATE TABLE relay_recent (
  id bigserial PRIMARY KEY,
  vim_id text NOT NULL,
  event text NOT NULL,
  entry jsonb NOT NULL,
  -- When the replica saw the change: replicas write their batches at different moments, so
  -- the window is ordered by this, not by id.
  seen_at timestamptz NOT NULL
);
CREATE INDEX relay_recent_vim_seen ON relay_recent (vim_id, seen_at DESC, id DESC);
`,
  },
];

/** The key of the advisory lock the daemon holds while it migrates and seeds. */
export const MIGRATION_LOCK = 7_446_582_001;

/** Applies the migrations not yet recorded; returns the versions applied now. The caller holds MIGRATION_LOCK. */
export async function migrate(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => r.version));
  const newest = Math.max(0, ...done);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new RelayError(
      'STORE_CORRUPT',
      `the database of store.url has schema version ${newest}, newer than this relay's ${known}: a newer relay migrated it. Run that version, or restore the database.`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await client.query('BEGIN');
    try {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    applied.push(m.version);
  }
  return applied;
}

/** Between two tries for MIGRATION_LOCK while another replica migrates and seeds. */
const LOCK_POLL_MS = 100;

/**
 * Runs `work` while holding MIGRATION_LOCK on `client` (a session lock: released even if work
 * throws). The lock is tried, not waited for in one statement: such a statement lasts as long as
 * another replica's migration and seed, and the statement timeout (store.timeoutMs) would fail
 * this start. Each try stays bounded, so a database that stops answering is still noticed.
 * `onWait` is called once, when the lock is held by another session.
 */
export async function withMigrationLock<T>(
  client: pg.ClientBase,
  work: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  for (let waited = false; ; waited = true) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      MIGRATION_LOCK,
    ]);
    if (rows[0]?.locked) break;
    if (!waited) onWait?.();
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}
