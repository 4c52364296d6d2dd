/**
 * Claims on the shared memory rows (compute-node memory, VM alarms) of replicas on one
 * PostgreSQL store: claim, then publish (docs/replicas.md, "Shared memory: publish once").
 *
 * A decision that changes rows first writes each of them, with compareAndSet at the version
 * it was read at, as a claim: the new plain value plus `claim: {messageId, claimedAt,
 * previous}` (a row the decision deletes becomes `{claim}` alone). Of two replicas deciding on
 * one row, only one claim lands; the other re-reads the row and decides again (against the
 * winner's value, so two identical notifications publish once). Once published, each claimed
 * row is tidied to its plain value (or deleted); if the publish fails, each is put back to
 * `previous`. Both settle only if the row is still at the version the claim wrote: a row
 * someone else moved since is left as it is.
 *
 * How a row is read:
 * - by the notification whose claim it is (a redelivery: the replica that claimed died, or its
 *   tidy never landed): as `previous`. A claim is never proof of a publish, so the redelivery
 *   decides again and publishes again (at-least-once), and never suppresses itself;
 * - by anyone else: as the claim's new value. The claimer publishes it, or its notification
 *   comes back (requeued, or redelivered when the replica died) and is published then; only a
 *   claimer's notification that is dead-lettered leaves an equal notification decided against
 *   it unpublished (and the claim is rolled back, so the next one is compared with `previous`);
 * - by anyone, once the claim is older than CLAIM_ABANDONED_MS: as `previous`, as the
 *   redelivery would. The claimer died and nothing will settle the claim: the redelivery was
 *   filtered (its subscription deleted meanwhile), or dead-lettered by the broker past its
 *   delivery limit. Read as its value for ever, it would suppress every later equal update that
 *   was never published. A claimer that was only slow (a destination retrying for longer than
 *   that) costs a duplicate at worst.
 *
 * `previous` is the whole row as it was, another notification's claim included, so that a
 * rollback puts back exactly what was there; it nests only as deep as claims stack up unsettled
 * (each replica holds at most one per row: its own decisions on a VIM or VM take turns). An
 * abandoned claim is not kept in `previous`: the new claim replaces it with what it replaced.
 *
 * Both memories (compute nodes, src/steps/compute-nodes.ts; VM alarms, src/ves/alarm-tracker.ts)
 * claim through one loop, claimDecision(), and put back through putBack(); each gives its own
 * decision and the words its log lines say.
 */
import { canonical } from '../util/json.js';
import type { Logger } from '../util/logger.js';
import { CLAIM_KEY } from './state.js';
import type { CasResult, ConditionalKind } from './store.js';

/** A claim older than this is abandoned: read as its `previous` by every decision. */
export const CLAIM_ABANDONED_MS = 15 * 60_000;

/** Decisions taken again, at most, when other replicas keep writing the same rows first. */
export const MAX_CLAIM_ATTEMPTS = 8;

export type RowValue = Record<string, unknown>;

export interface Claim {
  /** message_id of the notification whose decision this is. */
  readonly messageId: string;
  /** When it was claimed (ISO 8601), for operators reading the table. */
  readonly claimedAt: string;
  /** The row as it was before the claim (absent: there was none); what a failed publish puts back. */
  readonly previous?: RowValue;
}

/** The conditional writes of one kind, as RelayStore offers them; `shared` says other processes write the same rows. */
export interface ConditionalRows<K extends ConditionalKind> {
  /** true for PostgreSQL (replicas): decisions on these rows are claimed before they are published. */
  readonly shared?: boolean;
  versionOf?(kind: K, vimId: string, key: string): number;
  compareAndSet?(
    kind: K,
    vimId: string,
    key: string,
    expectedVersion: number,
    value: RowValue | undefined,
  ): Promise<CasResult>;
}

export type SharedRows<K extends ConditionalKind> = Required<ConditionalRows<K>>;

/** The store as SharedRows when decisions on it must be claimed; undefined for a store of one process. */
export function sharedRows<K extends ConditionalKind>(s: ConditionalRows<K>): SharedRows<K> | undefined {
  return s.shared === true && s.versionOf && s.compareAndSet ? (s as SharedRows<K>) : undefined;
}

export function claimOf(row: Readonly<RowValue> | undefined): Claim | undefined {
  const c = row?.[CLAIM_KEY];
  return c && typeof c === 'object' && !Array.isArray(c) ? (c as Claim) : undefined;
}

/** Left by a replica that died, its notification never to settle it (see the top of this file). */
export function isAbandoned(c: Claim, now = Date.now()): boolean {
  const at = Date.parse(c.claimedAt);
  return Number.isFinite(at) && now - at > CLAIM_ABANDONED_MS;
}

/** A row as the memory it stands for: without its claim; undefined when there is no row, or it is the claim of a delete. */
export function plainOf<T extends Readonly<RowValue>>(row: T | undefined): T | undefined {
  if (row === undefined || !Object.hasOwn(row, CLAIM_KEY)) return row;
  const { [CLAIM_KEY]: _claim, ...rest } = row;
  return Object.keys(rest).length > 0 ? (rest as T) : undefined;
}

/** The row a claim writes: the new plain value (undefined: the decision deletes the row) and the claim. */
export function claimRow(value: RowValue | undefined, claim: Claim): RowValue {
  return { ...(value ?? {}), [CLAIM_KEY]: claim };
}

/** One row as a decision of `messageId` reads it: its own claim, or an abandoned one, as `previous`, anyone else's as its new value. */
export function decidingValue<T extends Readonly<RowValue>>(row: T | undefined, messageId: string): T | undefined {
  const c = claimOf(row);
  if (c && (c.messageId === messageId || isAbandoned(c))) return plainOf(c.previous) as T | undefined;
  return plainOf(row);
}

/**
 * One VIM's rows as a decision of `messageId` reads them (decidingValue of each; absent ones
 * left out), and the keys holding a claim of that same notification. Rows without any claim
 * are given back as they are, uncopied.
 */
export function decidingView<T extends Readonly<RowValue>>(
  rows: Readonly<Record<string, T>>,
  messageId = '',
): { view: Readonly<Record<string, T>>; own: string[] } {
  const own: string[] = [];
  let view: Record<string, T> | undefined;
  for (const [key, row] of Object.entries(rows)) {
    const c = claimOf(row);
    if (!c) continue;
    if (c.messageId === messageId && messageId !== '') own.push(key);
    view ??= { ...rows };
    const v = decidingValue(row, messageId);
    if (v === undefined) delete view[key];
    else view[key] = v;
  }
  return { view: view ?? rows, own };
}

/** Every row as readers of the memory see it (a claim counts as its new value). */
export const plainRows = <T extends Readonly<RowValue>>(
  rows: Readonly<Record<string, T>>,
): Readonly<Record<string, T>> => decidingView(rows).view;

/** A row a decision changes, as it was read (row and version, taken together) and what it leaves (plain). */
export interface RowChange {
  readonly key: string;
  readonly row: RowValue | undefined;
  readonly version: number;
  readonly target: RowValue | undefined;
}

/**
 * The rows a decision changes: those whose plain value differs from the view it was taken
 * against, and those holding its own notification's claim (re-claimed, or put back). Reads
 * every version now, with the rows: call it in the same turn of the event loop as get().
 */
export function rowChanges(
  rows: Readonly<Record<string, Readonly<RowValue>>>,
  view: Readonly<Record<string, Readonly<RowValue>>>,
  target: Readonly<Record<string, Readonly<RowValue>>>,
  own: readonly string[],
  versionOf: (key: string) => number,
): RowChange[] {
  const keys = new Set(own);
  for (const k of new Set([...Object.keys(view), ...Object.keys(target)])) {
    const before = Object.hasOwn(view, k) ? view[k] : undefined;
    const after = Object.hasOwn(target, k) ? target[k] : undefined;
    if (canonical(before) !== canonical(after)) keys.add(k);
  }
  // Key order: replicas claiming several rows of one VIM meet at the first, so one gives way at once.
  return [...keys].sort().map((key) => ({
    key,
    row: Object.hasOwn(rows, key) ? rows[key] : undefined,
    version: versionOf(key),
    target: Object.hasOwn(target, key) ? target[key] : undefined,
  }));
}

/** A row written for a decision, to settle once its notification's outcome is known. */
export interface HeldRow {
  readonly key: string;
  /** The version the row is at if nobody moved it since. */
  readonly version: number;
  /** Put back when the publish fails (claimed rows only). */
  readonly previous: RowValue | undefined;
  /** The plain value to leave once published. */
  readonly target: RowValue | undefined;
  /** false: not claimed (the store could not take the claim); only written, as memory, once published. */
  readonly claimed: boolean;
}

export type ClaimOutcome =
  | { readonly kind: 'claimed'; readonly rows: readonly HeldRow[] }
  /** Another writer was first on a row: read again and decide again. Rows claimed before it were put back. */
  | { readonly kind: 'lost' }
  /**
   * The store is away (STORE_UNAVAILABLE) or refused the write, or the VIM is gone: the rows
   * claimed before the failure, and the others unclaimed (to write, as memory, once published).
   */
  | { readonly kind: 'failed'; readonly error: unknown; readonly rows: readonly HeldRow[] };

export interface ClaimRequest<K extends ConditionalKind> {
  readonly store: SharedRows<K>;
  readonly kind: K;
  readonly vimId: string;
  readonly messageId: string;
  readonly changes: readonly RowChange[];
  /**
   * true: the decision publishes, so the rows are claimed and held until settled. false: it
   * publishes nothing (a compute-node update that only taught the memory untracked fields), so
   * the plain values are written at once and nothing is held.
   */
  readonly publishes: boolean;
  readonly now?: () => Date;
}

/** The catalogue code of a claim's failure (STORE_UNAVAILABLE, VALIDATION_FAILED, ...), for the log. */
export const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
};

/** The 'failed' error when a row cannot be created because its VIM is no longer in the store. */
export class VimGoneError extends Error {}

/** Writes a decision's rows in order; stops at the first loss (putting back what it claimed) or failure. */
export async function claimRows<K extends ConditionalKind>(r: ClaimRequest<K>): Promise<ClaimOutcome> {
  const held: HeldRow[] = [];
  const now = (r.now ?? (() => new Date()))();
  const claimedAt = now.toISOString();
  for (const [i, c] of r.changes.entries()) {
    const mine = claimOf(c.row);
    const own = mine !== undefined && mine.messageId === r.messageId;
    // The row as it was before this notification (or an abandoned claim) touched it.
    const previous = own || (mine && isAbandoned(mine, now.getTime())) ? mine.previous : c.row;
    // Its own earlier claim on a row this decision leaves as it was: put back what was there, exactly.
    const restore = own && canonical(plainOf(previous)) === canonical(c.target);
    if (r.publishes && own && !restore && canonical(plainOf(c.row)) === canonical(c.target)) {
      // Its own claim of the same change (a redelivery deciding alike): held as it is, no write.
      held.push({ key: c.key, version: c.version, previous, target: c.target, claimed: true });
      continue;
    }
    let value: RowValue | undefined;
    if (restore) value = previous;
    else if (!r.publishes) value = c.target;
    else value = claimRow(c.target, { messageId: r.messageId, claimedAt, ...(previous ? { previous } : {}) });
    let res: CasResult;
    try {
      res = await r.store.compareAndSet(r.kind, r.vimId, c.key, c.version, value);
    } catch (error) {
      return { kind: 'failed', error, rows: [...held, ...unclaimedRows(r.changes.slice(i))] };
    }
    if (!res.ok) {
      // A row that had to be created is still absent after losing: its VIM is gone (PgStore's foreign key).
      if (c.version === 0 && value !== undefined && res.version === 0 && res.value === undefined) {
        const error = new VimGoneError(`VIM "${r.vimId}" is no longer in the store`);
        return { kind: 'failed', error, rows: [...held, ...unclaimedRows(r.changes.slice(i))] };
      }
      await settleRows(r.store, r.kind, r.vimId, held, false);
      return { kind: 'lost' };
    }
    if (r.publishes && !restore)
      held.push({ key: c.key, version: res.version, previous, target: c.target, claimed: true });
  }
  return { kind: 'claimed', rows: held };
}

/** Rows to write once published, for a decision whose claim could not be written: at the versions read. */
export const unclaimedRows = (changes: readonly RowChange[]): HeldRow[] =>
  changes.map((c) => ({ key: c.key, version: c.version, previous: c.row, target: c.target, claimed: false }));

/**
 * Settles held rows, all at once: published -> each row to its plain target (tidying a claim,
 * or writing the memory of an unclaimed decision); not published -> each claimed row back to
 * `previous`. A row no longer at the version held is left alone. Resolves with the errors of
 * the writes that failed (none lost: a lost write is not an error), never rejects.
 */
export async function settleRows<K extends ConditionalKind>(
  store: SharedRows<K>,
  kind: K,
  vimId: string,
  rows: readonly HeldRow[],
  published: boolean,
  targetOf: (row: HeldRow) => RowValue | undefined = (row) => row.target,
): Promise<unknown[]> {
  const writes = rows
    .filter((row) => published || row.claimed)
    .map((row) =>
      store.compareAndSet(kind, vimId, row.key, row.version, published ? targetOf(row) : row.previous).then(
        () => undefined,
        (e: unknown) => e ?? new Error('compareAndSet failed'),
      ),
    );
  return (await Promise.all(writes)).filter((e) => e !== undefined);
}

/** The words a step's claims are logged with, each step's own (operators and docs grep them). */
export interface ClaimWords {
  /** Warned when other replicas kept winning the rows for MAX_CLAIM_ATTEMPTS: it goes ahead unclaimed. */
  readonly raced: string;
  /** Warned when the store cannot take the claim (STORE_UNAVAILABLE, ...): it goes ahead unclaimed. */
  readonly unavailable: string;
  /** Logged at debug when the rows cannot be created because the VIM left the store. */
  readonly gone: string;
  /** Warned when a claimed row cannot be put back (putBack). */
  readonly notPutBack: string;
}

/** How one decision's claim is logged: the step's words, and the fields that say which decision (vim, messageId, ...). */
export interface ClaimLog {
  readonly logger: Logger;
  readonly words: ClaimWords;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A decision taken against rows read with their versions, and the rows it changes (rowChanges). */
export interface Decided<D> {
  readonly decision: D;
  readonly changes: readonly RowChange[];
  /** Whether the decision publishes (ClaimRequest.publishes). */
  readonly publishes: boolean;
}

export interface DecisionClaim<K extends ConditionalKind, D> {
  readonly store: SharedRows<K>;
  readonly kind: K;
  readonly vimId: string;
  readonly messageId: string;
  /**
   * Reads the rows and their versions together (before any await, so in one turn of the event
   * loop) and decides against them. Called again after each lost claim.
   */
  readonly decide: () => Decided<D>;
  readonly log: ClaimLog;
}

/**
 * Reads, decides and claims until a claim lands, or there is nothing to claim (no row
 * changes), or it cannot be: after MAX_CLAIM_ATTEMPTS losses, or when the store refuses (the
 * decision then goes ahead unclaimed, its rows to write once published). Gives the last
 * decision and the rows it holds.
 */
export async function claimDecision<K extends ConditionalKind, D>(
  r: DecisionClaim<K, D>,
): Promise<{ decision: D; held: readonly HeldRow[] }> {
  const { logger, words, fields } = r.log;
  for (let attempt = 1; ; attempt++) {
    const { decision, changes, publishes } = r.decide();
    if (changes.length === 0) return { decision, held: [] };
    if (attempt > MAX_CLAIM_ATTEMPTS) {
      logger.warn(words.raced, { ...fields, attempts: MAX_CLAIM_ATTEMPTS });
      return { decision, held: unclaimedRows(changes) };
    }
    const { store, kind, vimId, messageId } = r;
    const out = await claimRows({ store, kind, vimId, messageId, changes, publishes });
    if (out.kind === 'claimed') return { decision, held: out.rows };
    if (out.kind === 'failed') {
      if (out.error instanceof VimGoneError) logger.debug(words.gone, fields);
      else logger.warn(words.unavailable, { ...fields, code: codeOf(out.error), error: (out.error as Error).message });
      return { decision, held: out.rows };
    }
  }
}

/** Puts back the claimed rows of a decision that was not published. Never rejects: a row left claimed is logged. */
export async function putBack<K extends ConditionalKind>(
  store: SharedRows<K>,
  kind: K,
  vimId: string,
  rows: readonly HeldRow[],
  log: ClaimLog,
): Promise<void> {
  const errors = await settleRows(store, kind, vimId, rows, false);
  if (errors.length > 0) log.logger.warn(log.words.notPutBack, { ...log.fields, error: (errors[0] as Error).message });
}
