/**
 * The alarm memory's unsaved part: what a collector accepted and the store could not take yet
 * (PostgreSQL away, a file store's failed write). An accepted onset that is not remembered is
 * never cleared (the VM stays in fault at the collector); an accepted clear that is not
 * remembered suppresses the VM's next onset as "already open". So an accepted event's effect
 * is kept here first, per VIM and alarm key (a VM's instance id, or VIM_ALARM_KEY); readers
 * (the VM alarm tracker's decide(), the VIM watch) read it over the store. The write to the
 * store is tried at once and, when it fails, again with backoff (up to every RETRY.maxMs) until
 * it lands, so it is flushed within seconds of the store's return. An entry leaves when:
 * - written;
 * - the VIM's VES configuration is gone (its alarms went with it);
 * - on a shared store, another replica claimed the row after the entry's decision read it:
 *   that replica's decision is the newer one (src/store/claims.ts).
 * Bounded by MAX_UNSAVED entries (one per alarm at most); over that the oldest is dropped, with
 * an error. What is left at close() (a restart during an outage) is logged and lost.
 *
 * Writes of one key are serialised by the owner's `turn` (the tracker's per-VM turns, the
 * watch's per-VIM chain); the owner holds it already when it calls accepted().
 */
import { CLOSE_GRACE_MS, settlesWithin } from '../util/deadline.js';
import { claimOf, codeOf, isAbandoned, sharedRows, type RowValue } from '../store/claims.js';
import { canonical } from '../util/json.js';
import { backoffDelay } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import type { VesStore } from './agents.js';
import type { AlarmRecord } from '../model/ves.js';

export const MAX_UNSAVED = 10_000;
const RETRY = { initialMs: 250, maxMs: 5000 };
/** Compare-and-set rounds of one write when other replicas keep moving the row first. */
const MAX_WRITE_ATTEMPTS = 8;

interface Entry {
  readonly vimId: string;
  readonly key: string;
  /** The alarm to keep, or null: cleared. */
  readonly next: AlarmRecord | null;
  readonly messageId: string;
  /** Shared store: the row's version the decision was taken at. */
  readonly baseVersion: number;
}

/** Runs `work` in the key's turn. */
export type Turn = (vimId: string, key: string, work: () => Promise<void>) => Promise<void>;

type Outcome = 'saved' | 'gone' | 'superseded';

export class UnsavedAlarms {
  private readonly unsaved = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly store: VesStore,
    private readonly log: Logger,
    private readonly turn: Turn,
  ) {}

  /** The unsaved alarm of a key ({next: null}: cleared), or undefined when the store's row is current. */
  private entry(vimId: string, key: string): { readonly next: AlarmRecord | null } | undefined {
    return this.unsaved.get(id(vimId, key));
  }

  /** The alarm of a key as known here: the unsaved one, else `stored`. */
  read(vimId: string, key: string, stored: () => AlarmRecord | undefined): AlarmRecord | undefined {
    const e = this.entry(vimId, key);
    return e ? (e.next ?? undefined) : stored();
  }

  get size(): number {
    return this.unsaved.size;
  }

  /**
   * The collector accepted an event: keep its effect and write it to the store. Never rejects;
   * resolves once written or kept. Call it in the key's turn. `baseVersion`: the version of the
   * row the decision read (or claimed), on a shared store.
   */
  async accepted(
    vimId: string,
    key: string,
    next: AlarmRecord | null,
    messageId: string,
    baseVersion = 0,
  ): Promise<void> {
    const k = id(vimId, key);
    const e: Entry = { vimId, key, next, messageId, baseVersion };
    this.unsaved.delete(k);
    this.unsaved.set(k, e);
    this.bound();
    try {
      await this.save(k, e);
    } catch (err) {
      this.log.warn(
        next
          ? 'VES alarm not saved: kept in memory (its clear will be sent) and written when the store takes it'
          : 'VES clear not saved: kept in memory (the next fault raises an onset) and written when the store takes it',
        { vim: vimId, instance: key, messageId, code: codeOf(err), error: (err as Error).message, unsaved: this.size },
      );
      this.schedule();
    }
  }

  /** Stops retrying after one last round (at most CLOSE_GRACE_MS); logs what could not be written. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    // Bounded: a turn still held (a decision whose outcome never came) must not hold up the exit.
    if (this.unsaved.size > 0) await settlesWithin(this.flush(), CLOSE_GRACE_MS);
    if (this.unsaved.size > 0)
      this.log.error(
        'VES alarm memory lost at shutdown: the store did not take it; those alarms may repeat or stay open',
        {
          unsaved: this.size,
          alarms: [...this.unsaved.values()].slice(0, 20).map((e) => `${e.vimId}/${e.key}`),
        },
      );
  }

  private bound(): void {
    if (this.unsaved.size <= MAX_UNSAVED) return;
    const [k, oldest] = this.unsaved.entries().next().value as [string, Entry];
    this.unsaved.delete(k);
    this.log.error('VES alarm memory: too many unsaved alarms; the oldest is dropped and may repeat or stay open', {
      vim: oldest.vimId,
      instance: oldest.key,
      max: MAX_UNSAVED,
    });
  }

  /** Writes one entry; it leaves once written or superseded (if still the same entry). Rejects when the store cannot take it. */
  private async save(k: string, e: Entry): Promise<Outcome> {
    const outcome = await this.write(e);
    if (this.unsaved.get(k) === e) this.unsaved.delete(k);
    if (outcome !== 'saved') this.log.debug(`unsaved VES alarm dropped: ${outcome}`, { vim: e.vimId, instance: e.key });
    return outcome;
  }

  private async write(e: Entry): Promise<Outcome> {
    const store = this.store;
    const shared = sharedRows(store);
    const target = e.next ? (e.next as unknown as RowValue) : undefined;
    if (!shared) {
      let gone = false;
      await store.update((draft) => {
        gone = !draft.vesAgents[e.vimId];
        if (gone) return;
        const alarms = (draft.alarms[e.vimId] ??= {});
        if (e.next) alarms[e.key] = e.next;
        else delete alarms[e.key];
        if (Object.keys(alarms).length === 0) delete draft.alarms[e.vimId];
      });
      return gone ? 'gone' : 'saved';
    }
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      // The row and its version read together, before any await.
      const row = store.get().alarms[e.vimId]?.[e.key] as unknown as RowValue | undefined;
      const version = shared.versionOf('alarms', e.vimId, e.key);
      const claim = claimOf(row);
      if (!store.get().vesAgents[e.vimId]) {
        // The configuration deleted meanwhile took the VM's alarm along: leave no claim of this event behind.
        if (claim?.messageId === e.messageId) await shared.compareAndSet('alarms', e.vimId, e.key, version, undefined);
        return 'gone';
      }
      if (claim && claim.messageId !== e.messageId && version !== e.baseVersion && !isAbandoned(claim))
        return 'superseded';
      if (!claim && canonical(row) === canonical(target)) return 'saved';
      if ((await shared.compareAndSet('alarms', e.vimId, e.key, version, target)).ok) return 'saved';
    }
    throw new Error(`other replicas kept changing the alarm first (${MAX_WRITE_ATTEMPTS} attempts)`);
  }

  private schedule(): void {
    if (this.timer || this.closed || this.unsaved.size === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush().then(
          () => {
            this.attempt = 0;
          },
          () => {
            this.attempt++;
            this.schedule();
          },
        );
      },
      backoffDelay(this.attempt, RETRY),
    );
    this.timer.unref();
  }

  /** Writes every entry, each in its key's turn; rejects at the first the store refuses (the rest wait for the next round). */
  private async flush(): Promise<void> {
    let saved = 0;
    try {
      for (const [k, e] of [...this.unsaved]) {
        await this.turn(e.vimId, e.key, async () => {
          // Replaced meanwhile by a newer entry (written at once) or already gone: nothing to do.
          if (this.unsaved.get(k) === e && (await this.save(k, e)) === 'saved') saved++;
        });
      }
    } finally {
      if (saved > 0) this.log.info('VES alarm memory written to the store after all', { saved, unsaved: this.size });
    }
  }
}

const id = (vimId: string, key: string): string => `${vimId}\n${key}`;
