/**
 * Rows in and out of PostgreSQL. One table per kind, all of the same shape (key columns,
 * value jsonb, version), so one set of statements serves them all. Writes are conditional:
 * a row is created only if absent and changed or deleted only at the version the writer read.
 * Values pass through the store's SecretCodec on the way in and out (src/store/secret-codec.ts):
 * with store.secretKeyFile, no table holds a password in clear.
 */
import type pg from 'pg';
import { idOf, type Row } from '../rows.js';
import type { SecretCodec } from '../secret-codec.js';
import { STORE_KINDS, type StoreKind } from '../store.js';

interface Table {
  readonly name: string;
  readonly k1: string;
  readonly k2?: string;
  readonly ord: boolean;
}

export const TABLES: Readonly<Record<StoreKind, Table>> = {
  vims: { name: 'relay_vims', k1: 'vim_id', ord: true },
  subscriptions: { name: 'relay_subscriptions', k1: 'subscription_id', ord: true },
  computeNodes: { name: 'relay_compute_nodes', k1: 'vim_id', k2: 'node', ord: false },
  vesAgents: { name: 'relay_ves_agents', k1: 'vim_id', ord: false },
  alarms: { name: 'relay_alarms', k1: 'vim_id', k2: 'instance_id', ord: false },
};

export interface Versioned {
  readonly row: Row;
  readonly version: number;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

interface DbRow {
  k1: string;
  k2: string;
  ord: number;
  value: Record<string, unknown>;
  version: string;
}

function selectList(t: Table): string {
  return `${t.k1} AS k1, ${t.k2 ?? "''"} AS k2, ${t.ord ? 'ord' : '0'} AS ord, value, version`;
}

function toVersioned(kind: StoreKind, r: DbRow, codec: SecretCodec): Versioned {
  const value = codec.open(kind, r.k1, r.value);
  return { row: { kind, k1: r.k1, k2: r.k2, ord: r.ord, value }, version: Number(r.version) };
}

/** Every row of every kind, by row id. */
export async function loadAll(db: Queryable, codec: SecretCodec): Promise<Map<string, Versioned>> {
  const out = new Map<string, Versioned>();
  for (const kind of STORE_KINDS) {
    const t = TABLES[kind];
    const { rows } = await db.query<DbRow>(`SELECT ${selectList(t)} FROM ${t.name}`);
    for (const r of rows) out.set(idOf({ kind, k1: r.k1, k2: r.k2 }), toVersioned(kind, r, codec));
  }
  return out;
}

/** The rows of these keys that exist (a key absent from the answer has no row). */
export async function loadKeys(
  db: Queryable,
  keys: readonly Pick<Row, 'kind' | 'k1' | 'k2'>[],
  codec: SecretCodec,
): Promise<Map<string, Versioned>> {
  const out = new Map<string, Versioned>();
  for (const kind of STORE_KINDS) {
    const mine = keys.filter((k) => k.kind === kind);
    if (mine.length === 0) continue;
    const t = TABLES[kind];
    const where = t.k2
      ? `(${t.k1}, ${t.k2}) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
      : `${t.k1} = ANY($1::text[])`;
    const params = t.k2 ? [mine.map((k) => k.k1), mine.map((k) => k.k2)] : [mine.map((k) => k.k1)];
    const { rows } = await db.query<DbRow>(`SELECT ${selectList(t)} FROM ${t.name} WHERE ${where}`, params);
    for (const r of rows) out.set(idOf({ kind, k1: r.k1, k2: r.k2 }), toVersioned(kind, r, codec));
  }
  return out;
}

function keyWhere(t: Table, first: number): string {
  return t.k2 ? `${t.k1} = $${first} AND ${t.k2} = $${first + 1}` : `${t.k1} = $${first}`;
}

const keyParams = (t: Table, r: Pick<Row, 'k1' | 'k2'>): string[] => (t.k2 ? [r.k1, r.k2] : [r.k1]);

/**
 * The statement for a conditional write, wrapped so that `notify` (when given) is sent in the
 * same statement and only if the write happened: one round trip for a compare-and-set.
 */
function conditional(write: string, params: unknown[], notify: string | undefined): [string, unknown[]] {
  if (notify === undefined) return [`WITH w AS (${write}) SELECT version FROM w`, params];
  const n = params.length + 1;
  return [`WITH w AS (${write}) SELECT version, pg_notify('relay_state', $${n}) FROM w`, [...params, notify]];
}

/**
 * Creates `r` (expectedVersion 0) or replaces it at `expectedVersion`. Returns the new version,
 * or null when the row is not at the version expected (another writer was first).
 */
export async function writeRow(
  db: Queryable,
  r: Row,
  expectedVersion: number,
  codec: SecretCodec,
  notify?: string,
): Promise<number | null> {
  const t = TABLES[r.kind];
  const stored = JSON.stringify(codec.seal(r.kind, r.k1, r.value));
  const keys = keyParams(t, r);
  let sql: string;
  let params: unknown[];
  if (expectedVersion === 0) {
    const cols = [t.k1, ...(t.k2 ? [t.k2] : []), ...(t.ord ? ['ord'] : []), 'value', 'version'];
    const values = [...keys, ...(t.ord ? [r.ord] : []), stored];
    const marks = values.map((_v, i) => `$${i + 1}`);
    sql = `INSERT INTO ${t.name} (${cols.join(', ')}) VALUES (${marks.join(', ')}, nextval('relay_version_seq')) ON CONFLICT DO NOTHING RETURNING version`;
    params = values;
  } else {
    const sets = [
      ...(t.ord ? [`ord = $${keys.length + 3}`] : []),
      `value = $${keys.length + 2}`,
      "version = nextval('relay_version_seq')",
      'updated_at = now()',
    ];
    sql = `UPDATE ${t.name} SET ${sets.join(', ')} WHERE ${keyWhere(t, 1)} AND version = $${keys.length + 1} RETURNING version`;
    params = [...keys, expectedVersion, stored, ...(t.ord ? [r.ord] : [])];
  }
  const [text, all] = conditional(sql, params, notify);
  const { rows } = await db.query<{ version: string }>(text, all);
  return rows[0] ? Number(rows[0].version) : null;
}

/** Deletes the row if it is at `expectedVersion`; false when it is not (or is gone). */
export async function deleteRow(
  db: Queryable,
  r: Pick<Row, 'kind' | 'k1' | 'k2'>,
  expectedVersion: number,
  notify?: string,
): Promise<boolean> {
  const t = TABLES[r.kind];
  const keys = keyParams(t, r);
  const sql = `DELETE FROM ${t.name} WHERE ${keyWhere(t, 1)} AND version = $${keys.length + 1} RETURNING version`;
  const [text, all] = conditional(sql, [...keys, expectedVersion], notify);
  const { rows } = await db.query(text, all);
  return rows.length > 0;
}

/** The rows a notification names, or the kinds to reload whole when the list would not fit. */
export interface ChangeNote {
  readonly from: string;
  readonly rows?: [StoreKind, string, string][];
  readonly kinds?: StoreKind[];
}

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
const MAX_PAYLOAD = 7000;

export function changeNote(from: string, rows: readonly Pick<Row, 'kind' | 'k1' | 'k2'>[]): string {
  const full = JSON.stringify({ from, rows: rows.map((r) => [r.kind, r.k1, r.k2]) } satisfies ChangeNote);
  if (Buffer.byteLength(full) <= MAX_PAYLOAD) return full;
  return JSON.stringify({ from, kinds: [...new Set(rows.map((r) => r.kind))] } satisfies ChangeNote);
}

export function parseNote(payload: string | undefined): ChangeNote | undefined {
  try {
    const n = JSON.parse(payload ?? '') as ChangeNote;
    return n && typeof n.from === 'string' ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes again, sealed under the codec's current key, every row whose stored secrets are in
 * clear or under an older key (`vim-event-relay reencrypt-store`). Each write is conditional
 * on the version read and notifies the replicas (their cached versions move on); a row another
 * writer changed in between is counted in `conflicts` (run the command again).
 */
export async function resealRows(
  db: Queryable,
  codec: SecretCodec,
  from: string,
): Promise<{ resealed: number; conflicts: number }> {
  let resealed = 0;
  let conflicts = 0;
  for (const kind of ['vims', 'vesAgents'] as const) {
    const t = TABLES[kind];
    const { rows } = await db.query<DbRow>(`SELECT ${selectList(t)} FROM ${t.name}`);
    for (const r of rows.filter((x) => codec.stale(kind, x.k1, x.value))) {
      const { row } = toVersioned(kind, r, codec);
      const written = await writeRow(db, row, Number(r.version), codec, changeNote(from, [row]));
      if (written === null) conflicts++;
      else resealed++;
    }
  }
  return { resealed, conflicts };
}
