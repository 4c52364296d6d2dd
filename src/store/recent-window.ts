/**
 * The check_vim_status window of one VIM: its recent state changes, bounded, read newest first.
 * The store owns it (FileStore in memory; PgStore keeps this replica's part here and shares the
 * window through PostgreSQL); the pipeline hands each change to the store.
 */
import type { StateChange } from '../model/state-change.js';

/** Ring buffer of state changes; read newest first. */
export class RecentStateChanges {
  private readonly ring: (StateChange | undefined)[];
  private next = 0;
  private filled = 0;
  constructor(size: number) {
    this.ring = new Array<StateChange | undefined>(Math.max(1, size));
  }
  push(c: StateChange): void {
    this.ring[this.next] = c;
    this.next = (this.next + 1) % this.ring.length;
    this.filled = Math.min(this.filled + 1, this.ring.length);
  }
  /** Newest first, those whose event is in `states` (upper case) or all with "*". */
  query(states: readonly string[]): StateChange[] {
    const all = states.includes('*');
    const wanted = new Set(states.map((s) => s.toUpperCase()));
    const out: StateChange[] = [];
    for (let i = 1; i <= this.filled; i++) {
      const c = this.ring[(this.next - i + this.ring.length) % this.ring.length]!;
      if (all || wanted.has(c.event)) out.push(c);
    }
    return out;
  }
}
