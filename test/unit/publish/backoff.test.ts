import { backoffCeiling, backoffDelay, retryDelay } from '../../../src/publish/backoff.js';

const opts = { initialMs: 100, maxMs: 1000 };

describe('backoff', () => {
  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1000],
    [60, 1000],
    [5000, 1000],
  ])('attempt %i has ceiling %i', (attempt, ceiling) => {
    expect(backoffCeiling(attempt, opts)).toBe(ceiling);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, { ...opts, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...opts, random: () => 0.5 })).toBe(400);
    expect(backoffDelay(3, { ...opts, random: () => 0.999999 })).toBe(799);
  });

  it('never exceeds the cap, whatever the draw', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.25, 0.75, 0.999999]) {
        const d = backoffDelay(attempt, { ...opts, random: () => r });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(1000);
      }
    }
  });

  it('treats a max below the initial delay as the initial delay', () => {
    expect(backoffCeiling(5, { initialMs: 300, maxMs: 10 })).toBe(300);
  });

  it('lets Retry-After win over backoff, capped by maxMs', () => {
    const r = { ...opts, random: () => 0.5 };
    expect(retryDelay(2, undefined, r)).toBe(200);
    expect(retryDelay(2, 50, r)).toBe(50);
    expect(retryDelay(2, 0, r)).toBe(0);
    expect(retryDelay(2, 86_400_000, r)).toBe(1000);
  });
});
