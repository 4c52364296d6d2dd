import type { Outcome } from '../../../src/publish/classify.js';
import { resolvePublisherOptions } from '../../../src/publish/dmaap/options.js';
import { planAfter, retryWindow, type PlanOptions } from '../../../src/publish/plan.js';
import { PermanentPublishError } from '../../../src/publish/types.js';

const opts: PlanOptions = { retryInitialMs: 100, retryMaxMs: 1000, maxRetryMs: 0, random: () => 0.5 };
const items = ['a', 'b', 'c', 'd', 'e'];
const fresh = { items, attempt: 0 };
const NOW = 1_000_000;

describe('planAfter', () => {
  it('accepts everything on success', () => {
    expect(planAfter({ kind: 'success' }, fresh, 200, NOW, opts)).toEqual({ accepted: items, resend: [] });
  });

  it('resends a failed batch with backoff and starts its retry window', () => {
    const plan = planAfter({ kind: 'retry', reason: 'HTTP 503' }, fresh, 503, NOW, opts);
    expect(plan.accepted).toEqual([]);
    expect(plan.resend).toEqual([{ items, attempt: 1, failingSince: NOW, delayMs: 50, reason: 'HTTP 503' }]);
  });

  it('grows the delay with the attempt and keeps the first failure time', () => {
    const plan = planAfter(
      { kind: 'retry', reason: 'x' },
      { items, attempt: 3, failingSince: NOW - 10 },
      undefined,
      NOW,
      opts,
    );
    expect(plan.resend[0]).toMatchObject({ attempt: 4, failingSince: NOW - 10, delayMs: 400 });
  });

  it('lets Retry-After win over backoff', () => {
    const plan = planAfter({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 700 }, fresh, 429, NOW, opts);
    expect(plan.resend[0]?.delayMs).toBe(700);
  });

  it('accepts the first N of a partial publish and resends only the rest', () => {
    const plan = planAfter({ kind: 'partial', published: 2, reason: 'HTTP 404: partial' }, fresh, 404, NOW, opts);
    expect(plan.accepted).toEqual(['a', 'b']);
    expect(plan.resend).toHaveLength(1);
    expect(plan.resend[0]?.items).toEqual(['c', 'd', 'e']);
  });

  it('refuses a batch permanently with the status and reason', () => {
    const plan = planAfter({ kind: 'permanent', reason: 'HTTP 400: bad' }, fresh, 400, NOW, opts);
    expect(plan.resend).toEqual([]);
    expect(plan.refused?.items).toEqual(items);
    expect(plan.refused?.error).toBeInstanceOf(PermanentPublishError);
    expect(plan.refused?.error).toMatchObject({ code: 'DMAAP_REJECTED', status: 400, message: 'HTTP 400: bad' });
  });

  it('splits a 413 batch into halves sent at once', () => {
    const plan = planAfter(
      { kind: 'permanent', reason: 'HTTP 413' },
      { items, attempt: 2, failingSince: 5 },
      413,
      NOW,
      opts,
    );
    expect(plan.refused).toBeUndefined();
    expect(plan.resend.map((r) => r.items)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(plan.resend.every((r) => r.delayMs === 0 && r.attempt === 2 && r.failingSince === 5)).toBe(true);
  });

  it('refuses a single message that gets 413', () => {
    const plan = planAfter({ kind: 'permanent', reason: 'HTTP 413' }, { items: ['a'], attempt: 0 }, 413, NOW, opts);
    expect(plan.refused?.error).toMatchObject({ code: 'DMAAP_REJECTED', status: 413 });
  });

  describe('with maxRetryMs', () => {
    const bounded = { ...opts, maxRetryMs: 1000 };
    const failing: Outcome = { kind: 'retry', reason: 'HTTP 503' };

    it('keeps retrying inside the window, never sleeping past its end', () => {
      const plan = planAfter(failing, { items, attempt: 10, failingSince: NOW - 900 }, 503, NOW, bounded);
      expect(plan.resend[0]?.delayMs).toBe(100);
    });

    it('expires messages failing for longer than the window', () => {
      const plan = planAfter(failing, { items, attempt: 4, failingSince: NOW - 1000 }, 503, NOW, bounded);
      expect(plan.resend).toEqual([]);
      expect(plan.refused?.error).toMatchObject({ code: 'DMAAP_RETRY_EXPIRED', status: 503 });
      expect(plan.refused?.error.message).toContain('HTTP 503');
    });

    it('expires the unpublished rest of a partial publish too', () => {
      const plan = planAfter(
        { kind: 'partial', published: 1, reason: 'p' },
        { items, attempt: 4, failingSince: NOW - 5000 },
        404,
        NOW,
        bounded,
      );
      expect(plan.accepted).toEqual(['a']);
      expect(plan.refused?.items).toEqual(['b', 'c', 'd', 'e']);
    });
  });

  describe("with another peer's codes (the VES collector)", () => {
    const ves: PlanOptions = {
      ...opts,
      maxRetryMs: 1000,
      peer: {
        rejected: 'VES_REJECTED',
        expired: 'VES_RETRY_EXPIRED',
        name: 'the VES collector',
        maxRetryKey: 'ves.maxRetryMs',
      },
    };

    it('refuses with its rejected code', () => {
      expect(
        planAfter({ kind: 'permanent', reason: 'HTTP 400: bad' }, fresh, 400, NOW, ves).refused?.error,
      ).toMatchObject({ code: 'VES_REJECTED', message: 'HTTP 400: bad' });
    });

    it('expires with its code, naming it and its config key', () => {
      const plan = planAfter(
        { kind: 'retry', reason: 'HTTP 503' },
        { items, attempt: 4, failingSince: NOW - 1000 },
        503,
        NOW,
        ves,
      );
      expect(plan.refused?.error).toMatchObject({
        code: 'VES_RETRY_EXPIRED',
        message: 'the VES collector kept failing for 1000 ms (ves.maxRetryMs 1000); last: HTTP 503',
      });
    });
  });
});

describe('retryWindow', () => {
  it('starts at the first failure, and expires once maxRetryMs has passed since it (never with 0)', () => {
    expect(retryWindow(undefined, 5000, 1000)).toEqual({ failingSince: 5000, elapsed: 0, expired: false });
    expect(retryWindow(5000, 5999, 1000)).toEqual({ failingSince: 5000, elapsed: 999, expired: false });
    expect(retryWindow(5000, 6000, 1000)).toEqual({ failingSince: 5000, elapsed: 1000, expired: true });
    expect(retryWindow(5000, 60_000, 0)).toEqual({ failingSince: 5000, elapsed: 55_000, expired: false });
  });
});

describe('resolvePublisherOptions', () => {
  it('fills every default', () => {
    const o = resolvePublisherOptions({ url: 'http://127.0.0.1:3904' });
    expect(o).toMatchObject({
      batchMaxMessages: 100,
      batchMaxBytes: 1_000_000,
      lingerMs: 5,
      maxInFlightRequests: 4,
      retryInitialMs: 250,
      retryMaxMs: 30_000,
      maxRetryMs: 0,
      maxPending: 100_000,
      timeoutMs: 5000,
    });
  });

  it('keeps given values and ignores undefined ones', () => {
    const o = resolvePublisherOptions({ url: 'http://x', lingerMs: 0, batchMaxMessages: undefined });
    expect(o.lingerMs).toBe(0);
    expect(o.batchMaxMessages).toBe(100);
  });

  it.each([
    [{ batchMaxMessages: 0 }, /batchMaxMessages/],
    [{ maxInFlightRequests: 1.5 }, /maxInFlightRequests/],
    [{ lingerMs: -1 }, /lingerMs/],
    [{ maxPending: 0 }, /maxPending/],
  ])('refuses %j', (bad, message) => {
    expect(() => resolvePublisherOptions({ url: 'http://x', ...bad })).toThrow(message);
  });
});
