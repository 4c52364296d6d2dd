/**
 * The store seam: what the daemon needs from its durable state, whichever engine holds it.
 * `FileStore` (one daemon, the JSON file at store.path) and `PgStore` (replicas sharing one
 * PostgreSQL database at store.url) both implement it; `openStore` picks one by config.
 *
 * The snapshot is always in memory, so get() is synchronous and relaying goes on from it when
 * the database is away; only writes (update, compareAndSet) need the engine.
 */
import type { StateChange } from '../model/state-change.js';
import type { StateMutator, StoreState } from './state.js';

/** The kinds of rows a store holds; onChange says which of them another replica changed. */
export const STORE_KINDS = ['vims', 'subscriptions', 'computeNodes', 'vesAgents', 'alarms'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Kinds whose rows are shared memory, written with a condition (compareAndSet). */
export type ConditionalKind = 'computeNodes' | 'alarms';

export interface StoreHealth {
  /** false while the engine cannot be reached: writes are refused, reads come from the cache. */
  readonly ok: boolean;
  /** ISO time since when `ok` has had its current value. */
  readonly since: string;
  /** Why it is down (redacted; no credentials). */
  readonly reason?: string;
}

/** The row a compareAndSet addressed, as the store holds it after the call. */
export interface CasResult {
  /** true when the row was at `expectedVersion` and now holds the value given. */
  readonly ok: boolean;
  /** The row's version now (0 = no such row). */
  readonly version: number;
  /** The row's value now (undefined = no such row). */
  readonly value: Record<string, unknown> | undefined;
}

export interface RelayStore {
  readonly engine: 'file' | 'postgres';
  /**
   * true when other processes (replicas) write the same rows: the compute-node step and the VES
   * alarm tracker then claim a decision's rows before publishing it (src/store/claims.ts). In
   * one process their turns already order the decisions.
   */
  readonly shared: boolean;
  /** The current snapshot, frozen. Change it only through update() or compareAndSet(). */
  get(): Readonly<StoreState>;
  /**
   * Brings the snapshot up to what the engine holds now, for a decision that must not rest on a
   * change another replica made moments ago and this one has not heard of yet (a VIM added
   * through another replica, then its subscription PUT here). A store no other process writes
   * has nothing to do; an engine that cannot be reached leaves the snapshot as it is. Never rejects.
   */
  refresh(): Promise<void>;
  /**
   * Runs `mutator` on a copy of the snapshot and writes what it changed, durably. A mutator
   * that throws, or leaves an invalid state (VALIDATION_FAILED), changes nothing. Rejects
   * with STORE_UNAVAILABLE when the engine cannot be reached.
   */
  update(mutator: StateMutator): Promise<void>;
  /**
   * The version of one conditional row as this store last saw it (0 = no such row): read it
   * with the row's value, decide, then compareAndSet with it.
   */
  versionOf(kind: ConditionalKind, vimId: string, key: string): number;
  /**
   * Writes one compute node's memory or one alarm (`value` undefined = delete it) only if the
   * row is still at `expectedVersion` (0 = it must not exist). Of two callers racing with the
   * same version one gets ok=true. Rejects with STORE_UNAVAILABLE when the engine is away, and
   * with VALIDATION_FAILED (nothing written) when `value` is not a valid row of its kind.
   */
  compareAndSet(
    kind: ConditionalKind,
    vimId: string,
    key: string,
    expectedVersion: number,
    value: Record<string, unknown> | undefined,
  ): Promise<CasResult>;
  /** Called with the kinds that changed when another replica (or a reconcile) changed the snapshot. Returns an unsubscribe. */
  onChange(listener: (kinds: readonly StoreKind[]) => void): () => void;
  health(): StoreHealth;
  /** Records a state change for check_vim_status. Never waits on the engine. */
  pushRecent(vimId: string, entry: StateChange): void;
  /** Newest first, those whose event is in `states` (upper case), or all with "*". */
  queryRecent(vimId: string, states: readonly string[]): Promise<StateChange[]>;
  /** Forgets a VIM's recent state changes (the VIM was deleted). */
  dropRecent(vimId: string): void;
  close(): Promise<void>;
}

export interface OpenedStore {
  readonly store: RelayStore;
  /** true when this start seeded an empty store from the config's vims and subscriptions. */
  readonly seeded: boolean;
}
