/**
 * The configured store read without opening it for the daemon: for the commands that only look
 * (replay, check-config, explain). A file store is read as a file (never created, never written);
 * a PostgreSQL store through one connection in a read-only transaction (never migrated, never
 * seeded). `undefined` when the store does not exist yet: the config's lists would seed it.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { RelayError } from '../errors.js';
import { redactText } from '../util/redact.js';
import { plainOf } from './claims.js';
import { clientConfig } from './pg/open.js';
import { describe } from './pg/errors.js';
import { loadAll } from './pg/tables.js';
import { fromRows } from './rows.js';
import { migrateToV2, type StoreState } from './state.js';
import { storeCodec, type StoreConfig } from './open.js';
import { openState, type SecretCodec } from './secret-codec.js';

export interface StoreView {
  readonly state: StoreState;
  /** For messages: "the store (path)" or "the PostgreSQL store (url, password masked)". */
  readonly source: string;
}

export function describeStore(cfg: StoreConfig): string {
  return cfg.store.url ? `the PostgreSQL store (${redactText(cfg.store.url)})` : `the store (${cfg.store.path})`;
}

export async function readStore(cfg: StoreConfig): Promise<StoreView | undefined> {
  const source = describeStore(cfg);
  // Secrets sealed under store.secretKeyFile are opened as the daemon opens them (deadletters needs the URL).
  const codec = storeCodec(cfg);
  const state = cfg.store.url ? await readPg(cfg, codec) : readFile(cfg.store.path, codec);
  return state && { state, source };
}

function readFile(path: string, codec: SecretCodec): StoreState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RelayError('STORE_CORRUPT', `cannot read the store ${path}: ${(e as Error).message}`, { cause: e });
  }
  return openState(migrateToV2(parsed), codec) as StoreState;
}

async function readPg(cfg: StoreConfig, codec: SecretCodec): Promise<StoreState | undefined> {
  const client = new pg.Client({ ...clientConfig({ url: cfg.store.url, connectTimeoutMs: cfg.store.timeoutMs }) });
  try {
    await client.connect();
    await client.query('BEGIN TRANSACTION READ ONLY');
    // No seed mark (or no tables): no daemon has started on this database yet.
    const meta = await client.query<{ t: string | null }>("SELECT to_regclass('relay_meta') AS t");
    if (!meta.rows[0]?.t || !(await client.query("SELECT 1 FROM relay_meta WHERE key = 'seeded_at'")).rowCount)
      return undefined;
    const state = fromRows([...(await loadAll(client, codec)).values()].map((v) => v.row));
    // A replica's claim on a compute node's row is not part of what was published.
    for (const nodes of Object.values(state.computeNodes))
      for (const [key, row] of Object.entries(nodes)) {
        const plain = plainOf(row);
        if (plain) nodes[key] = plain;
        else delete nodes[key];
      }
    return state;
  } catch (e) {
    throw new RelayError(
      'STORE_UNAVAILABLE',
      `cannot read the PostgreSQL store at ${redactText(cfg.store.url)}: ${describe(e)}. Check store.url (VIM_EVENT_RELAY_STORE_URL)`,
      { cause: e },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
