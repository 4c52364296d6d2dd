/**
 * Opening the PostgreSQL store: connect, migrate and seed under the migration lock (three
 * replicas starting at once: one migrates and seeds, the others wait and find it done), then
 * load every row and LISTEN.
 */
import pg from 'pg';
import { RelayError } from '../../errors.js';
import { redactText } from '../../util/redact.js';
import { toRows } from '../rows.js';
import { seedState, type StoreSeed } from '../state.js';
import type { OpenedStore } from '../store.js';
import { describe, isConnectionError } from './errors.js';
import { PgLink } from './link.js';
import { migrate, withMigrationLock } from './migrations.js';
import { PgStore, type PgStoreOptions } from './pg-store.js';
import { writeRow } from './tables.js';
import { CLEAR_CODEC, type SecretCodec } from '../secret-codec.js';

const SEEDED_KEY = 'seeded_at';

export function clientConfig(opts: Pick<PgStoreOptions, 'url' | 'connectTimeoutMs'>): pg.ClientConfig {
  return {
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    // A database that stops answering mid-statement (a half-open connection) fails the statement
    // instead of hanging a write or a reload.
    query_timeout: opts.connectTimeoutMs,
    keepAlive: true,
    application_name: 'vim-event-relay',
  };
}

export async function openPgStore(opts: PgStoreOptions, seed: StoreSeed): Promise<OpenedStore> {
  const initial = seedState(seed);
  const config = clientConfig(opts);
  const pool = new pg.Pool({ ...config, max: 4 });
  const link = new PgLink(config, opts.logger);
  // Idle pooled connections that die (the database restarted) must not crash the process.
  pool.on('error', (e) => link.down(describe(e)));
  try {
    const client = await pool.connect();
    // A checked-out client that loses its connection between statements emits 'error': the next statement fails anyway.
    const ignore = () => undefined;
    client.on('error', ignore);
    let seeded: boolean;
    try {
      seeded = await withMigrationLock(
        client,
        async () => {
          const applied = await migrate(client);
          if (applied.length) opts.logger.info('store schema migrated', { applied });
          return seedIfNew(client, initial, opts.codec ?? CLEAR_CODEC);
        },
        () => opts.logger.info('waiting for another replica to migrate and seed the store'),
      );
    } finally {
      client.off('error', ignore);
      client.release();
    }
    const store = new PgStore(pool, link, opts);
    await store.start();
    return { store, seeded };
  } catch (e) {
    await link.close();
    await pool.end().catch(() => undefined);
    if (e instanceof RelayError) throw e;
    const where = redactText(opts.url);
    if (
      isConnectionError(e) ||
      (e as { code?: string }).code === '3D000' ||
      (e as { code?: string }).code === '28P01'
    ) {
      throw new RelayError(
        'STORE_UNAVAILABLE',
        `cannot open the PostgreSQL store at ${where}: ${describe(e)}. Check store.url (VIM_EVENT_RELAY_STORE_URL): the database must exist and accept this user`,
        { cause: e },
      );
    }
    throw new RelayError('STORE_CORRUPT', `cannot prepare the PostgreSQL store at ${where}: ${describe(e)}`, {
      cause: e,
    });
  }
}

/** On the first start only (no seed mark): the config's vims and subscriptions become rows. */
async function seedIfNew(
  client: pg.PoolClient,
  initial: ReturnType<typeof seedState>,
  codec: SecretCodec,
): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM relay_meta WHERE key = $1', [SEEDED_KEY]);
  if (rowCount) return false;
  await client.query('BEGIN');
  try {
    for (const r of toRows(initial).values()) {
      if ((await writeRow(client, r, 0, codec)) === null)
        throw new RelayError(
          'STORE_CORRUPT',
          `the store has rows but no seed mark (row ${r.kind} ${r.k1}); it was not created by this relay`,
        );
    }
    await client.query('INSERT INTO relay_meta (key, value) VALUES ($1, now()::text)', [SEEDED_KEY]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return true;
}
