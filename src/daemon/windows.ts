/**
 * A bounded, per-VIM memory of recently published message_ids, to drop broker redeliveries
 * while the daemon lives: O(1) per message, never past its size. (The check_vim_status window
 * is the store's: src/store/recent-window.ts.)
 */

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
