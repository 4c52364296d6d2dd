import { planCredit } from '../../../../src/transport/amqp10/credit.js';

describe('planCredit', () => {
  it.each([
    [10, 1, [10], 10, false],
    [500, 4, [125, 125, 125, 125], 500, false],
    [10, 4, [3, 3, 2, 2], 10, false],
    [4, 4, [1, 1, 1, 1], 4, false],
    [2, 4, [1, 1, 1, 1], 4, true],
    [0, 1, [1], 1, true],
  ])('prefetch %i over %i receivers -> %p (total %i, raised %p)', (prefetch, receivers, shares, total, raised) => {
    const plan = planCredit(prefetch, receivers);
    expect(plan.shares).toEqual(shares);
    expect(plan.total).toBe(total);
    expect(plan.raised).toBe(raised);
    expect(plan.shares.reduce((a, b) => a + b, 0)).toBe(plan.total);
  });

  it('plans nothing for no receivers', () => {
    expect(planCredit(10, 0)).toEqual({ shares: [], total: 0, raised: false });
  });
});
