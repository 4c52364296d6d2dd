/**
 * The check_vim_status window in PostgreSQL, so every replica answers it alike. A push never
 * waits on the database: it lands in this replica's own ring at once and in a buffer that a
 * timer writes in batches (one INSERT for the batch, then a trim that keeps the newest
 * `size` rows per VIM). While the database is away the buffer keeps the newest `size` entries
 * per VIM and queries answer from the local ring, which holds what this replica saw.
 */
import type pg from 'pg';
import type { StateChange } from '../../model/state-change.js';
import { RecentStateChanges } from '../recent-window.js';
import type { Logger } from '../../util/logger.js';
import { describe } from './errors.js';

interface Pending {
  readonly vimId: string;
  readonly entry: StateChange;
  readonly seenAt: string;
}

export class PgRecent {
  private readonly local = new Map<string, RecentStateChanges>();
  private buffer: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly size: number,
    private readonly usable: () => boolean,
    private readonly log: Logger,
    private readonly flushMs = 100,
  ) {}

  push(vimId: string, entry: StateChange): void {
    let ring = this.local.get(vimId);
    if (!ring) this.local.set(vimId, (ring = new RecentStateChanges(this.size)));
    ring.push(entry);
    this.buffer.push({ vimId, entry, seenAt: new Date().toISOString() });
    // Trimmed when twice the bound, not at every push past it: a trim walks the whole buffer.
    if (this.buffer.length > 2 * this.size * Math.max(1, this.local.size)) this.trimBuffer();
    this.schedule();
  }

  async query(vimId: string, states: readonly string[]): Promise<StateChange[]> {
    if (this.usable()) {
      try {
        // What this replica pushed a moment ago counts too: write it first.
        await this.flush();
        const wanted = states.includes('*') ? null : states.map((s) => s.toUpperCase());
        const { rows } = await this.pool.query<{ entry: StateChange }>(
          'SELECT entry FROM relay_recent WHERE vim_id = $1 AND ($2::text[] IS NULL OR event = ANY($2)) ORDER BY seen_at DESC, id DESC LIMIT $3',
          [vimId, wanted, this.size],
        );
        return rows.map((r) => r.entry);
      } catch (e) {
        this.log.warn('check_vim_status answered from this replica only: the store cannot be read', {
          vim: vimId,
          error: describe(e),
        });
      }
    }
    return this.local.get(vimId)?.query(states) ?? [];
  }

  drop(vimId: string): void {
    this.local.delete(vimId);
    this.buffer = this.buffer.filter((p) => p.vimId !== vimId);
    if (!this.usable()) return;
    this.pool.query('DELETE FROM relay_recent WHERE vim_id = $1', [vimId]).catch((e: unknown) => {
      this.log.warn('recent state changes of a deleted VIM not removed from the store; they age out of the window', {
        vim: vimId,
        error: describe(e),
      });
    });
  }

  /** Writes what is buffered; resolves when it is written or could not be (it stays buffered). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** The store came back: write what waited. */
  resume(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.usable()) await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer || this.closed || this.buffer.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.usable()) void this.flush().then(() => this.schedule());
    }, this.flushMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    while (this.buffer.length > 0 && this.usable()) {
      const batch = this.buffer;
      this.buffer = [];
      try {
        await this.pool.query(
          'INSERT INTO relay_recent (vim_id, event, entry, seen_at) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])',
          [
            batch.map((p) => p.vimId),
            batch.map((p) => p.entry.event),
            batch.map((p) => JSON.stringify(p.entry)),
            batch.map((p) => p.seenAt),
          ],
        );
        for (const vimId of new Set(batch.map((p) => p.vimId))) {
          await this.pool.query(
            'DELETE FROM relay_recent WHERE id IN (SELECT id FROM relay_recent WHERE vim_id = $1 ORDER BY seen_at DESC, id DESC OFFSET $2)',
            [vimId, this.size],
          );
        }
      } catch (e) {
        this.buffer = [...batch, ...this.buffer];
        this.trimBuffer();
        this.log.debug('recent state changes kept for a later write', {
          pending: this.buffer.length,
          error: describe(e),
        });
        return;
      }
    }
  }

  /** The newest `size` buffered entries of each VIM: older ones would be trimmed anyway. */
  private trimBuffer(): void {
    const seen = new Map<string, number>();
    const keep: Pending[] = [];
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const p = this.buffer[i];
      const n = (seen.get(p.vimId) ?? 0) + 1;
      seen.set(p.vimId, n);
      if (n <= this.size) keep.push(p);
    }
    this.buffer = keep.reverse();
  }
}
