/**
 * A database of its own for each test on the local PostgreSQL (127.0.0.1:5432, trust auth,
 * user postgres; PG_ADMIN_URL overrides), dropped afterwards. The URL given out carries a
 * password that trust auth ignores, so tests can check it never reaches a log line.
 */
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { createLogger, type Logger } from '../../src/util/logger.js';

export const PG_PASSWORD = 'pg-s3cret-never-logged';
const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
let counter = 0;

export interface TestDatabase {
  readonly name: string;
  /** postgres://postgres:<PG_PASSWORD>@127.0.0.1:5432/<name> */
  readonly url: string;
  /** The same database through another host:port (a TCP proxy). */
  urlVia(port: number): string;
  /** Runs SQL on the database directly (no relay involved). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `relay_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const base = new URL(ADMIN_URL);
  const urlVia = (port: number) => `postgres://${base.username}:${PG_PASSWORD}@${base.hostname}:${port}/${name}`;
  const direct = new pg.Pool({ connectionString: urlVia(Number(base.port || 5432)), max: 2 });
  // An idle connection ended by the server (a restart by another test, the drop below) is not a
  // failure of the test: without a listener the pool would throw it as an unhandled 'error'.
  direct.on('error', () => undefined);
  return {
    name,
    url: urlVia(Number(base.port || 5432)),
    urlVia,
    query: (sql, params) => direct.query(sql, params),
    drop: async () => {
      await direct.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A logger whose lines are kept for the test to read. */
export function capturedLogger(): { logger: Logger; lines: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => {
    text += b.toString('utf8');
  });
  return { logger: createLogger({ level: 'debug', format: 'json', stream }), lines: () => text };
}
