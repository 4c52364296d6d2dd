import { retryDelay } from '../../../src/publish/backoff.js';

const opts = { initialMs: 100, maxMs: 1000 };

describe('retryDelay', () => {
  it('lets Retry-After win over backoff, capped by maxMs', () => {
    const r = { ...opts, random: () => 0.5 };
    expect(retryDelay(2, undefined, r)).toBe(200);
    expect(retryDelay(2, 50, r)).toBe(50);
    expect(retryDelay(2, 0, r)).toBe(0);
    expect(retryDelay(2, 86_400_000, r)).toBe(1000);
  });
});
