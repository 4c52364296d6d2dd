/** Unsettled: each record settles once, and drained() waits for the last one or the deadline. */
import { describe, expect, it } from '@jest/globals';
import { Unsettled, type Settleable } from '../../../src/publish/unsettled.js';

function entry(): Settleable & { got: string[] } {
  const got: string[] = [];
  return {
    got,
    settled: false,
    resolve: () => void got.push('ok'),
    reject: (e) => void got.push(`err:${e.message}`),
  };
}

describe('Unsettled', () => {
  it('settles a record once, whichever comes first, and counts what is left', () => {
    const u = new Unsettled<ReturnType<typeof entry>>();
    const a = entry();
    const b = entry();
    u.add(a);
    u.add(b);
    expect(u.size).toBe(2);
    u.resolve(a);
    u.reject(a, new Error('late'));
    u.resolve(a);
    expect(a.got).toEqual(['ok']);
    expect(u.size).toBe(1);
    u.rejectAll(new Error('closed'));
    u.resolve(b);
    expect(b.got).toEqual(['err:closed']);
    expect(u.size).toBe(0);
  });

  it('drained() resolves when the last record settles, before the deadline', async () => {
    const u = new Unsettled<ReturnType<typeof entry>>();
    const a = entry();
    u.add(a);
    const started = Date.now();
    const done = u.drained(10_000);
    setTimeout(() => u.resolve(a), 20);
    await done;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(a.got).toEqual(['ok']);
  });

  it('drained() gives up at the deadline, leaving the rest unsettled', async () => {
    const u = new Unsettled<ReturnType<typeof entry>>();
    const a = entry();
    u.add(a);
    await u.drained(30);
    expect(u.size).toBe(1);
    expect(a.got).toEqual([]);
  });
});
