/**
 * A fixed-size ring buffer: each push overwrites the oldest slot in place, so the ring never
 * grows past `size` entries; read newest first. The decision log keeps each VIM's last decisions
 * in one, the store each VIM's check_vim_status window.
 */
export class Ring<T> {
  private readonly slots: (T | undefined)[];
  private next = 0;

  /** `size` below 1 keeps one entry. */
  constructor(size: number) {
    this.slots = new Array<T | undefined>(Math.max(1, size));
  }

  push(item: T): void {
    this.slots[this.next] = item;
    this.next = (this.next + 1) % this.slots.length;
  }

  /** Newest first; the slots not filled yet are skipped. */
  newestFirst(): T[] {
    const n = this.slots.length;
    const out: T[] = [];
    for (let i = 1; i <= n; i++) {
      const item = this.slots[(this.next - i + n) % n];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}
