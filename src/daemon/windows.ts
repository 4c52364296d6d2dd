/**
 * Two bounded, per-VIM memories: recently published message_ids (to drop broker
 * redeliveries while the daemon lives) and recent state changes (for check_vim_status).
 * Both are O(1) per message and never grow past their size.
 */
import type { StateChange } from './control.js';

/** Insertion-ordered set with a size bound: the oldest id is forgotten first. */
export class RecentIds {
  private readonly ids = new Set<string>();
  /*
   * Walks the set in insertion order as ids are forgotten. A fresh ids.values().next() would
   * step over every deleted slot V8 keeps at the front of the table until it rehashes: that
   * made each add cost O(size), several percent of the daemon's CPU at 10,000 ids.
   */
  private readonly oldest = this.ids.values();
  constructor(private readonly size: number) {}
  has(id: string): boolean {
    return this.size > 0 && this.ids.has(id);
  }
  add(id: string): void {
    if (this.size <= 0) return;
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.size) this.ids.delete(this.oldest.next().value as string);
  }
  get count(): number {
    return this.ids.size;
  }
}

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
