/**
 * One at a time per key: each holder waits for the previous one's release. The compute-node
 * memory takes turns per VIM, the VES alarms per VM: each decision is taken against the memory
 * as the previous one's outcome left it.
 */
export class Turns {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves when every earlier holder of `key` released; the returned function releases (idempotent). */
  async take(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let end!: () => void;
    const mine = new Promise<void>((resolve) => (end = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      end();
      // The last holder leaves no entry behind: a map per VM must not grow with every VM ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
