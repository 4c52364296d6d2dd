import { backoffCeiling, backoffDelay } from '../../../src/util/backoff.js';

const opts = { initialMs: 100, maxMs: 1000 };
const almostOne = () => 0.999999;

describe('backoffDelay', () => {
  it.each([
    [0, 99],
    [1, 199],
    [2, 399],
    [3, 799],
    [4, 999],
    [10, 999],
    [5000, 999],
  ])('attempt %i: at most %i ms (just under the capped ceiling)', (attempt, max) => {
    expect(backoffDelay(attempt, opts, almostOne)).toBe(max);
  });

  it('full jitter: the lowest draw waits not at all', () => {
    expect(backoffDelay(7, opts, () => 0)).toBe(0);
  });

  it('scales the draw linearly inside [0, ceiling)', () => {
    expect(backoffDelay(2, opts, () => 0.5)).toBe(200);
  });

  it.each([-3, Number.NaN])('treats attempt %p as the first retry', (attempt) => {
    expect(backoffDelay(attempt, opts, almostOne)).toBe(99);
  });

  it('treats an infinite attempt count as capped', () => {
    expect(backoffDelay(Number.POSITIVE_INFINITY, opts, almostOne)).toBe(999);
  });

  it('never exceeds the cap, even when the random source misbehaves', () => {
    expect(backoffDelay(20, opts, () => 7)).toBe(1000);
    expect(backoffDelay(20, opts, () => -1)).toBe(0);
  });

  it('an initial delay of 0 means no waiting at any attempt', () => {
    expect(backoffDelay(5000, { initialMs: 0, maxMs: 1000 }, almostOne)).toBe(0);
  });

  it('a max below the initial delay is lifted to it', () => {
    expect(backoffDelay(3, { initialMs: 500, maxMs: 10 }, almostOne)).toBe(499);
  });

  it('spreads many listeners over the whole window (no lockstep)', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, opts));
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(900);
    expect(delays.every((d) => d >= 0 && d < 1000)).toBe(true);
  });
});

describe('backoffCeiling', () => {
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

  it('takes the random source from the options too', () => {
    expect(backoffDelay(3, { ...opts, random: () => 0.5 })).toBe(400);
  });
});
