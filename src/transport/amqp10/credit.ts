/**
 * Splitting the VIM's prefetch (transport.prefetch) into per-receiver link credit. Pure.
 *
 * AMQP 1.0 credit is per link and cannot be taken back except by draining, so the relay
 * gives each receiver a fixed share and hands a unit of credit back to the same receiver
 * each time one of its deliveries is settled: credit outstanding + deliveries in hand stays
 * equal to the share, and the shares add up to the prefetch.
 */
export interface CreditPlan {
  /** Credit for each receiver, in the order of its address. */
  readonly shares: readonly number[];
  /** The bound actually kept on unsettled deliveries (the sum of the shares). */
  readonly total: number;
  /** true when prefetch < receivers and each receiver still got 1 (else some would starve). */
  readonly raised: boolean;
}

export function planCredit(prefetch: number, receivers: number): CreditPlan {
  if (receivers <= 0) return { shares: [], total: 0, raised: false };
  const budget = Math.max(Math.floor(prefetch), 0);
  if (budget < receivers) {
    return { shares: Array.from({ length: receivers }, () => 1), total: receivers, raised: true };
  }
  const base = Math.floor(budget / receivers);
  const extra = budget % receivers;
  const shares = Array.from({ length: receivers }, (_v, i) => base + (i < extra ? 1 : 0));
  return { shares, total: budget, raised: false };
}
