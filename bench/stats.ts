/** Medians and percentiles. */

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Nearest-rank percentiles, ms. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, p999: NaN, max: NaN };
  const v = Float64Array.from(values).sort();
  const at = (q: number): number => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: v[v.length - 1] };
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
