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

/**
 * Promise chains per key: each run starts once every earlier run of its key has settled,
 * whether it resolved or rejected. A VIM's catalogue changes and its VIM alarm's sends run so.
 */
export class Chains {
  /** Per key: the last run queued, as a tail that never rejects. */
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after what is on `key`'s chain; the returned promise is its run (it rejects if `fn` does; the chain goes on). */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    // The last run leaves no entry behind.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Settles (never rejects) once every run queued so far has. */
  all(): Promise<unknown> {
    return Promise.all([...this.tails.values()]);
  }
}
