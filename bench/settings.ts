/**
 * Every knob of `npm run bench`, from the environment, with the values as defaults.
 * Smaller values give a quick smoke run (e.g. BENCH_RUNS=1 BENCH_DRAIN_MESSAGES=20000).
 */
import os from 'node:os';

function num(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return v;
}

function list(name: string, dflt: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return dflt;
  return raw.split(',').map((s) => {
    const v = Number(s.trim());
    if (!(v > 0)) throw new Error(`${name} must be a comma-separated list of positive numbers, got "${raw}"`);
    return v;
  });
}

export interface BenchSettings {
  /** Runs per scenario; each figure is their median. */
  readonly runs: number;
  /** Notifications pre-queued for the drain. */
  readonly drainMessages: number;
  /** Notifications pre-queued for the ONAP-like baseline (it is slow, so fewer by default). */
  readonly baselineMessages: number;
  /** Steady publish rates for the latency scenario, msg/s. */
  readonly latencyRates: readonly number[];
  /** Seconds measured at each rate, after `latencyWarmupSeconds` not measured. */
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
  /** Seconds each HTTP endpoint is hammered to find its own rate. */
  readonly endpointSeconds: number;
  /** Messages per POST when measuring an endpoint's own rate (the relay's batch size). */
  readonly endpointBatch: number;
  /** AMQP 0-9-1 URL of the broker (guest on localhost by default). */
  readonly amqpUrl: string;
  /** When set, the relay runs with --cpu-prof into this directory. */
  readonly cpuProfDir: string | undefined;
  /** Scenarios to run (all by default): ceiling,yardstick,limits,drain,filtered,kafka,breakdown,latency,baseline. */
  readonly only: ReadonlySet<string>;
  /** Extra relay `publish` / `transport` config as JSON, for tuning experiments. */
  readonly publishOverrides: Record<string, unknown>;
  readonly transportOverrides: Record<string, unknown>;
}

/** Every scenario, in the order a round runs them. */
export const SCENARIOS = [
  'ceiling',
  'yardstick',
  'limits',
  'drain',
  'filtered',
  'kafka',
  'breakdown',
  'latency',
  'baseline',
] as const;

export function loadSettings(): BenchSettings {
  const only = (process.env.BENCH_ONLY ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    runs: Math.max(1, Math.round(num('BENCH_RUNS', 3))),
    drainMessages: Math.round(num('BENCH_DRAIN_MESSAGES', 100_000)),
    baselineMessages: Math.round(num('BENCH_BASELINE_MESSAGES', 10_000)),
    latencyRates: list('BENCH_LATENCY_RATES', [1000, 5000]),
    latencySeconds: num('BENCH_LATENCY_SECONDS', 10),
    latencyWarmupSeconds: num('BENCH_LATENCY_WARMUP_SECONDS', 2),
    endpointSeconds: num('BENCH_ENDPOINT_SECONDS', 3),
    endpointBatch: Math.max(1, Math.round(num('BENCH_ENDPOINT_BATCH', 100))),
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    cpuProfDir: process.env.BENCH_CPU_PROF_DIR || undefined,
    only: new Set(
      only.map((name) => {
        if (!(SCENARIOS as readonly string[]).includes(name))
          throw new Error(`BENCH_ONLY: unknown scenario "${name}"; choose from ${SCENARIOS.join(',')}`);
        return name;
      }),
    ),
    publishOverrides: JSON.parse(process.env.BENCH_PUBLISH ?? '{}') as Record<string, unknown>,
    transportOverrides: JSON.parse(process.env.BENCH_TRANSPORT ?? '{}') as Record<string, unknown>,
  };
}

export function machine(): { cores: number; cpu: string; node: string; platform: string; memGb: number } {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    memGb: Math.round(os.totalmem() / 2 ** 30),
  };
}
