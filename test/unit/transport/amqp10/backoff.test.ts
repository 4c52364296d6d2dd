import { backoffDelay, nextAttemptDelay } from '../../../../src/transport/amqp10/backoff.js';

const opts = { initialMs: 100, maxMs: 1000 };

describe('backoffDelay (full jitter)', () => {
  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1000],
    [40, 1000],
  ])('round %i is capped at %i', (round, ceiling) => {
    expect(backoffDelay(round, opts, () => 0.999999)).toBe(ceiling);
    expect(backoffDelay(round, opts, () => 0)).toBe(0);
  });

  it('spreads delays over the whole window', () => {
    expect(backoffDelay(2, opts, () => 0.5)).toBe(200);
  });

  it('stays finite for huge round numbers', () => {
    expect(Number.isFinite(backoffDelay(10_000, { initialMs: 1000, maxMs: 30000 }, () => 0.5))).toBe(true);
  });
});

describe('nextAttemptDelay (failover)', () => {
  const max = () => 0.999999;
  it('tries the next host at once while a round is under way', () => {
    expect(nextAttemptDelay(1, 3, opts, max)).toBe(0);
    expect(nextAttemptDelay(2, 3, opts, max)).toBe(0);
  });

  it('backs off after each full round, growing per round', () => {
    expect(nextAttemptDelay(3, 3, opts, max)).toBe(100);
    expect(nextAttemptDelay(6, 3, opts, max)).toBe(200);
    expect(nextAttemptDelay(1, 1, opts, max)).toBe(100);
    expect(nextAttemptDelay(2, 1, opts, max)).toBe(200);
  });

  it('does not wait before the first attempt', () => {
    expect(nextAttemptDelay(0, 2, opts, max)).toBe(0);
  });
});
