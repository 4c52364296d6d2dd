/**
 * A counting semaphore for connection attempts, shared by every VIM of the process, so that
 * 500 VIMs starting together open at most `max` sockets at a time instead of 500 at once.
 * Waiters are served first come, first served; a waiter whose signal aborts (its listener
 * was closed) leaves the queue without taking a slot.
 */
export type Release = () => void;

export class ConnectLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxConcurrentConnects must be an integer >= 1, got ${max}`);
  }

  /** Attempts holding a slot now. */
  get inUse(): number {
    return this.active;
  }

  /** Attempts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.active < this.max) return Promise.resolve(this.take());
    return new Promise<Release>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.take());
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private take(): Release {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      // The slot passes straight to the next waiter (active goes back up in take()).
      this.waiting.shift()?.();
    };
  }
}

/** The signal's reason as an Error: the very one it was aborted with when it is one (callers check its class). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error('aborted', reason === undefined || reason === null ? undefined : { cause: reason });
}

const shared = new Map<number, ConnectLimiter>();

/**
 * The process-wide limiter for `max` (config transport.maxConcurrentConnects). Every listener
 * built with the same options shares it; the daemon has one transport config, so one limiter.
 */
export function sharedConnectLimiter(max: number): ConnectLimiter {
  let l = shared.get(max);
  if (!l) {
    l = new ConnectLimiter(max);
    shared.set(max, l);
  }
  return l;
}
