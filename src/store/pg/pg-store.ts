/**
 * The store of replicas: rows in PostgreSQL (store.url), a frozen snapshot in memory.
 *
 * Writes diff the mutated snapshot into rows and write only those, each conditional on the
 * version this replica last saw, in one transaction that ends with NOTIFY relay_state naming
 * the rows. A conflict (another replica was first) reloads and runs the mutator again. Every
 * replica LISTENs and reloads the rows named; a reconcile every store.reconcileMs reloads
 * everything, so a lost notification heals. All changes to the cache go through one queue, so
 * a reload never races a write of this replica.
 *
 * PostgreSQL away: get() answers from the snapshot, writes reject STORE_UNAVAILABLE at once
 * (those already queued too, once the link is known down), health() is down, and a reconnect
 * loop (LISTEN again, then a full reconcile) brings it back.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { StateChange } from '../../model/state-change.js';
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { redactText } from '../../util/redact.js';
import { checkRow, getRow } from '../file-store.js';
import { diffRows, idOf, rowId, toRows, type RowDiff } from '../rows.js';
import { checkState, type StateMutator, type StoreState } from '../state.js';
import {
  STORE_KINDS,
  type CasResult,
  type ConditionalKind,
  type RelayStore,
  type StoreHealth,
  type StoreKind,
} from '../store.js';
import { CLEAR_CODEC, type SecretCodec } from '../secret-codec.js';
import { PgCache } from './cache.js';
import { describe, isConnectionError, unavailable } from './errors.js';
import { PgLink } from './link.js';
import { PgRecent } from './recent.js';
import { changeNote, deleteRow, loadAll, loadKeys, parseNote, writeRow, type ChangeNote } from './tables.js';

export interface PgStoreOptions {
  readonly url: string;
  readonly logger: Logger;
  /** State changes kept per VIM for check_vim_status (recent.windowSize). */
  readonly recentSize: number;
  /** Full reload period (store.reconcileMs). */
  readonly reconcileMs: number;
  /** Connect and statement timeout (store.connectTimeoutMs): how long a write may wait on a database that does not answer. */
  readonly connectTimeoutMs: number;
  /** Identifies this replica's own notifications; random by default. */
  readonly instanceId?: string;
  /** Secrets sealed on the way into the tables and opened on the way out (store.secretKeyFile); none by default. */
  readonly codec?: SecretCodec;
}

/** Attempts of one update when other replicas keep writing the same rows first. */
const MAX_ATTEMPTS = 8;

export class PgStore implements RelayStore {
  readonly engine = 'postgres';
  readonly shared = true;
  readonly instanceId: string;
  private readonly cache = new PgCache();
  private readonly listeners = new Set<(kinds: readonly StoreKind[]) => void>();
  private readonly recent: PgRecent;
  private tail: Promise<unknown> = Promise.resolve();
  private reconcileTimer?: NodeJS.Timeout;
  private readonly codec: SecretCodec;

  constructor(
    private readonly pool: pg.Pool,
    private readonly link: PgLink,
    private readonly opts: PgStoreOptions,
  ) {
    this.instanceId = opts.instanceId ?? randomUUID();
    this.codec = opts.codec ?? CLEAR_CODEC;
    this.recent = new PgRecent(pool, opts.recentSize, () => this.link.up, opts.logger);
    link.onNotification = (payload) => this.noted(payload);
    // Back from an outage: reload everything before writes are let through again.
    link.beforeUp = () => this.enqueue(() => this.reconcile());
    link.afterUp = () => this.recent.resume();
  }

  /** Loads every row and starts listening; throws STORE_UNAVAILABLE when PostgreSQL cannot be reached. */
  async start(): Promise<void> {
    // LISTEN before the first load: a change committed in between is then heard, not missed until the next reconcile.
    await this.link.start();
    await this.enqueue(() => this.reconcile());
    this.reconcileTimer = setInterval(() => {
      if (this.link.up) void this.refresh();
    }, this.opts.reconcileMs);
    this.reconcileTimer.unref();
  }

  get(): Readonly<StoreState> {
    return this.cache.snapshot;
  }

  /** A full reload in the store's queue (after the writes queued before it); nothing while PostgreSQL is away. */
  refresh(): Promise<void> {
    return this.enqueue(() => this.reloadIfUp(() => this.reconcile())).catch((e: unknown) => this.failed(e));
  }

  update(mutator: StateMutator): Promise<void> {
    if (!this.link.up) return Promise.reject(unavailable(this.link.reason));
    return this.enqueue(() => this.apply(mutator));
  }

  versionOf(kind: ConditionalKind, vimId: string, key: string): number {
    return this.cache.version(rowId(kind, vimId, key));
  }

  compareAndSet(
    kind: ConditionalKind,
    vimId: string,
    key: string,
    expectedVersion: number,
    value: Record<string, unknown> | undefined,
  ): Promise<CasResult> {
    if (!this.link.up) return Promise.reject(unavailable(this.link.reason));
    const problem = value === undefined ? undefined : checkRow(kind, vimId, key, value);
    if (problem) return Promise.reject(new RelayError('VALIDATION_FAILED', `store update refused: ${problem}`));
    return this.enqueue(async () => {
      const id = rowId(kind, vimId, key);
      const keyOf = { kind, k1: vimId, k2: key };
      const note = changeNote(this.instanceId, [keyOf]);
      const ok = await this.guard(async () => {
        // Deleting what must not exist: done if it does not.
        if (value === undefined && expectedVersion === 0)
          return (await loadKeys(this.pool, [keyOf], this.codec)).size === 0 ? 0 : null;
        if (value === undefined) return (await deleteRow(this.pool, keyOf, expectedVersion, note)) ? 0 : null;
        // The VIM was deleted meanwhile: nothing to claim for it.
        return writeRow(this.pool, { ...keyOf, ord: 0, value }, expectedVersion, this.codec, note).catch(
          (e: unknown) => {
            if (isOrphan(e)) return null;
            throw e;
          },
        );
      });
      if (ok !== null) {
        // Won: the row is what was written, at the version the write returned (0 = gone).
        const row = { ...keyOf, ord: 0, value: structuredClone(value ?? {}) };
        this.cache.applyScoped(new Map(ok ? [[id, { row, version: ok }]] : []), [id]);
      } else {
        // Lost: the row as it is now, so the loser learns the winner's value and version.
        const changed = this.cache.applyScoped(await this.guard(() => loadKeys(this.pool, [keyOf], this.codec)), [id]);
        if (changed.length) this.emit(changed);
      }
      return { ok: ok !== null, version: this.cache.version(id), value: getRow(this.cache.snapshot, kind, vimId, key) };
    });
  }

  onChange(listener: (kinds: readonly StoreKind[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): StoreHealth {
    return this.link.health();
  }

  pushRecent(vimId: string, entry: StateChange): void {
    this.recent.push(vimId, entry);
  }

  queryRecent(vimId: string, states: readonly string[]): Promise<StateChange[]> {
    return this.recent.query(vimId, states);
  }

  dropRecent(vimId: string): void {
    this.recent.drop(vimId);
  }

  async close(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await this.tail.catch(() => undefined);
    await this.recent.close();
    await this.link.close();
    await this.pool.end();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async apply(mutator: StateMutator): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (!this.link.up) throw unavailable(this.link.reason);
      const draft = structuredClone(this.cache.snapshot) as StoreState;
      mutator(draft);
      const problem = checkState(draft);
      if (problem) throw new RelayError('VALIDATION_FAILED', `store update refused: ${problem}`);
      const diff = diffRows(this.cache.rows, toRows(draft));
      if (diff.upserts.length === 0 && diff.deletes.length === 0) return;
      const outcome = await this.guard(() => this.write(diff));
      if (outcome === 'written') return;
      if (outcome === 'orphan') {
        // Running the change again cannot help: its VIM is gone. The reload lets the caller see that.
        await this.guard(() => this.reconcile());
        throw new RelayError(
          'CONFLICT',
          'store update refused: it refers to a VIM that another replica has just deleted',
        );
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new RelayError(
          'CONFLICT',
          `store update gave up after ${attempt} attempts: other replicas kept changing the same rows first; retry the request`,
        );
      }
      // Another replica was first: take the whole state as it is now (the mutator may read rows it does not write), and run it again.
      await this.guard(() => this.reconcile());
    }
  }

  /**
   * Writes a diff in one transaction: 'conflict' when a row was not at the version this replica
   * saw, 'orphan' when a row refers to a VIM that is no longer there.
   */
  private async write(diff: RowDiff): Promise<'written' | 'conflict' | 'orphan'> {
    const client = await this.pool.connect();
    let broken = false;
    // Lost between statements, a checked-out client emits 'error'; the statement under way fails and says so.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      const written = new Map<string, number>();
      // VIMs first (rows refer to them), then the rest, in snapshot order.
      for (const r of diff.upserts) {
        const v = await writeRow(client, r, this.cache.version(idOf(r)), this.codec);
        if (v === null) return await rollback(client, 'conflict');
        written.set(idOf(r), v);
      }
      // A VIM last: deleting it first would take its rows along, and their own deletes would find nothing.
      for (const r of [...diff.deletes].sort((x, y) => STORE_KINDS.indexOf(y.kind) - STORE_KINDS.indexOf(x.kind))) {
        if (!(await deleteRow(client, r, this.cache.version(idOf(r))))) return await rollback(client, 'conflict');
      }
      await client.query("SELECT pg_notify('relay_state', $1)", [
        changeNote(this.instanceId, [...diff.upserts, ...diff.deletes]),
      ]);
      await client.query('COMMIT');
      this.cache.applyWrite(diff, written);
      return 'written';
    } catch (e) {
      broken = isConnectionError(e);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      if (isOrphan(e)) return 'orphan';
      throw e;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  /** Reloads every row; tells the listeners which kinds differed from the snapshot. */
  private async reconcile(): Promise<void> {
    const changed = this.cache.applyAll(await loadAll(this.pool, this.codec));
    if (changed.length) this.emit(changed);
  }

  private noted(payload: string | undefined): void {
    const note = parseNote(payload);
    if (!note || note.from === this.instanceId) return;
    this.enqueue(() => this.reloadIfUp(() => this.reloadNoted(note))).catch((e: unknown) => this.failed(e));
  }

  /** A reload queued before the link was known down is skipped: the recovery's full reconcile covers it. */
  private async reloadIfUp(reload: () => Promise<void>): Promise<void> {
    if (this.link.up) await reload();
  }

  private async reloadNoted(note: ChangeNote): Promise<void> {
    if (!note.rows) return this.reconcile();
    const keys = note.rows.map(([kind, k1, k2]) => ({ kind, k1, k2 }));
    const changed = this.cache.applyScoped(await loadKeys(this.pool, keys, this.codec), keys.map(idOf));
    if (changed.length) this.emit(changed);
  }

  /**
   * Runs a statement; a lost database becomes STORE_UNAVAILABLE and starts the reconnect loop.
   * Once the link is known down, a statement queued behind the one that found out fails at
   * once rather than waiting out a timeout of its own (store.connectTimeoutMs each, in turn),
   * so the recovery's reconcile and close() do not wait behind them.
   */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (!this.link.up) throw unavailable(this.link.reason);
    try {
      return await work();
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      this.link.down(describe(e));
      throw unavailable(describe(e), e);
    }
  }

  private failed(e: unknown): void {
    if (isConnectionError(e)) this.link.down(describe(e));
    else if (!(e instanceof RelayError && e.code === 'STORE_UNAVAILABLE'))
      this.opts.logger.error('store reload failed', { error: describe(e) });
  }

  private emit(kinds: readonly StoreKind[]): void {
    for (const l of this.listeners) {
      try {
        l(kinds);
      } catch (e) {
        this.opts.logger.error('store change listener failed', { kinds, error: redactText((e as Error).message) });
      }
    }
  }
}

async function rollback<T>(client: pg.PoolClient, result: T): Promise<T> {
  await client.query('ROLLBACK');
  return result;
}

/** A foreign-key violation: the row's VIM is not in relay_vims. */
const isOrphan = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === '23503';
