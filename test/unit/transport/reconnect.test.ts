import { nextAttemptDelay } from '../../../src/transport/reconnect.js';

const opts = { initialMs: 100, maxMs: 1000 };

describe('nextAttemptDelay (failover)', () => {
  const max = () => 0.999999;
  it('tries the next host at once while a round is under way', () => {
    expect(nextAttemptDelay(1, 3, opts, max)).toBe(0);
    expect(nextAttemptDelay(2, 3, opts, max)).toBe(0);
  });

  it('backs off after each full round, growing per round', () => {
    expect(nextAttemptDelay(3, 3, opts, max)).toBe(99);
    expect(nextAttemptDelay(6, 3, opts, max)).toBe(199);
    expect(nextAttemptDelay(1, 1, opts, max)).toBe(99);
    expect(nextAttemptDelay(2, 1, opts, max)).toBe(199);
  });

  it('does not wait before the first attempt', () => {
    expect(nextAttemptDelay(0, 2, opts, max)).toBe(0);
  });
});
