import { ConnectLimiter, sharedConnectLimiter } from '../../../src/transport/connect-limiter.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('ConnectLimiter', () => {
  it('grants up to max at once, then first come first served as slots are released', async () => {
    const l = new ConnectLimiter(2);
    const a = await l.acquire();
    const b = await l.acquire();
    const order: string[] = [];
    const c = l.acquire().then((r) => (order.push('c'), r));
    const d = l.acquire().then((r) => (order.push('d'), r));
    await tick();
    expect(order).toEqual([]);
    expect([l.inUse, l.queued]).toEqual([2, 2]);
    b();
    b(); // a second release of the same slot frees nothing more
    await tick();
    expect(order).toEqual(['c']);
    expect([l.inUse, l.queued]).toEqual([2, 1]);
    a();
    await tick();
    expect(order).toEqual(['c', 'd']);
    (await c)();
    (await d)();
    expect([l.inUse, l.queued]).toEqual([0, 0]);
  });

  it('a waiter whose signal aborts leaves the queue without taking a slot', async () => {
    const l = new ConnectLimiter(1);
    const held = await l.acquire();
    const ctl = new AbortController();
    const gone = l.acquire(ctl.signal);
    const next = l.acquire();
    ctl.abort(new Error('listener closed'));
    await expect(gone).rejects.toThrow('listener closed');
    expect(l.queued).toBe(1);
    held();
    const r = await next;
    expect(l.inUse).toBe(1);
    r();
    await expect(l.acquire(ctl.signal)).rejects.toThrow('listener closed');
    expect(l.inUse).toBe(0);
  });

  it('refuses a max below 1, and shares one limiter per max in the process', () => {
    expect(() => new ConnectLimiter(0)).toThrow(/maxConcurrentConnects must be an integer >= 1/);
    expect(sharedConnectLimiter(7)).toBe(sharedConnectLimiter(7));
    expect(sharedConnectLimiter(7)).not.toBe(sharedConnectLimiter(8));
  });
});
