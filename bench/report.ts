/** The table `npm run bench` prints, and the JSON it writes under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrainResult, LatencyResult, LimitsResult } from './scenarios.js';
import type { CeilingResult } from './ratio-scenarios.js';
import type { BreakdownResult } from './breakdown.js';
import { median } from './stats.js';

export interface Collected {
  ceiling: CeilingResult[];
  /** The minimal relay's drain (bench/yardstick.ts), same corpus and sink as the DMaaP drain. */
  yardstick: DrainResult[];
  drain: DrainResult[];
  /** The drain of the filtered-traffic corpus (80 % matching no subscription), to the sink. */
  filtered: DrainResult[];
  /** The drain with every subscription on the kafka sink (librdkafka's mock cluster). */
  kafka: DrainResult[];
  /** In-process costs, without the broker (bench/breakdown.ts). */
  breakdown: BreakdownResult[];
  baseline: DrainResult[];
  latency: LatencyResult[][];
  limits: LimitsResult[];
}

type Row = [string, number, number[], string];

const fmt = (v: number, unit: string): string => {
  if (!Number.isFinite(v)) return '-';
  if (unit === 'ms' || unit === 's' || unit === 'KB') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  if (unit === 'MB' || unit === 'x' || unit === '%' || unit === 'us') return v.toFixed(1);
  return Math.round(v).toLocaleString('en-US');
};

function row(label: string, values: number[], unit: string): Row {
  return [label, median(values), values, unit];
}

/** One figure of a list of results: its label, how each result gives it, its unit. */
type Figure<T> = readonly [label: string, value: (x: T) => number, unit: string];

/** A row per figure, each over every result (one per round), labelled `prefix` + the figure's label. */
function rowsOf<T>(prefix: string, results: readonly T[], figures: readonly Figure<T>[]): Row[] {
  return figures.map(([label, value, unit]) => row(`${prefix}${label}`, results.map(value), unit));
}

/** Per round, drain / the reference (the ceiling, or the yardstick) of the same round; rounds without both are left out. */
function perRound(drains: DrainResult[], refs: readonly { rate: number }[]): number[] {
  return drains.flatMap((d, i) => (refs[i] ? [d.rate / refs[i].rate] : []));
}

/** The drains that are compared with the ceiling, by destination. */
const DESTINATIONS = [
  ['DMaaP drain', (c: Collected) => c.drain],
  ['Kafka drain', (c: Collected) => c.kafka],
  ['filtered-traffic drain (DMaaP)', (c: Collected) => c.filtered],
] as const;

function ceilingRows(c: Collected): Row[] {
  const out: Row[] = [];
  if (c.ceiling.length)
    out.push(
      ...rowsOf('ceiling: ', c.ceiling, [
        [
          `amqplib, fresh process, ack multiple/50, ${c.ceiling[0].messages.toLocaleString('en-US')}, msg/s`,
          (x) => x.rate,
          'msg/s',
        ],
        ['CPU per message', (x) => x.cpuUsPerMessage, 'us'],
        ['the broker (RabbitMQ) CPU per message', (x) => x.brokerCpuUsPerMessage, 'us'],
        ['machine busy (% of all cores)', (x) => x.machineBusyShare * 100, '%'],
      ]),
    );
  if (c.yardstick.length)
    out.push(
      ...rowsOf('yardstick (minimal relay, fresh process)', c.yardstick, [
        [', msg/s', (d) => d.rate, 'msg/s'],
        [': CPU per notification', (d) => d.cpuPer10k * 100, 'us'],
      ]),
    );
  for (const [name, get] of DESTINATIONS) {
    const drains = get(c);
    if (!drains.length) continue;
    out.push(
      ...rowsOf(name, drains, [
        [', msg/s', (d) => d.rate, 'msg/s'],
        [': relay CPU per notification', (d) => d.cpuPer10k * 100, 'us'],
        // Below ~90 % the relay was waiting (broker, destination, or its share of a busy machine), not computing.
        [': relay CPU use (% of one core)', (d) => (d.cpuPer10k / 10_000) * d.rate * 100, '%'],
        [': the broker (RabbitMQ) CPU per notification', (d) => d.brokerCpuUsPerNotification, 'us'],
        [': machine busy (% of all cores)', (d) => d.machineBusyShare * 100, '%'],
      ]),
    );
    if (c.ceiling.length)
      out.push(
        row(
          `${name} / ceiling of the same round`,
          perRound(drains, c.ceiling).map((r) => r * 100),
          '%',
        ),
      );
    // The yardstick drains the DMaaP drain's corpus to the same sink: only that drain compares.
    if (c.yardstick.length && drains === c.drain)
      out.push(
        row(
          `${name} / yardstick of the same round`,
          perRound(drains, c.yardstick).map((r) => r * 100),
          '%',
        ),
      );
  }
  if (c.kafka.length) {
    out.push(
      row(
        'Kafka drain: relay peak RSS',
        c.kafka.map((d) => d.peakRssMb),
        'MB',
      ),
    );
    out.push(
      row(
        'Kafka drain: duplicates',
        c.kafka.map((d) => d.duplicates),
        'rec',
      ),
    );
  }
  if (c.breakdown.length) {
    const b = c.breakdown;
    out.push(
      row(
        'breakdown: pipeline alone, CPU per notification (drain corpus)',
        b.map((x) => x.pipelineUs),
        'us',
      ),
    );
    out.push(
      row(
        'breakdown: pipeline alone, CPU per notification (filtered corpus)',
        b.map((x) => x.pipelineFilteredUs),
        'us',
      ),
    );
    out.push(
      row(
        "breakdown: DMaaP publisher + HTTP alone, CPU per notification's messages",
        b.map((x) => x.publisherUsPerMessage * x.messagesPerNotification),
        'us',
      ),
    );
    out.push(
      row(
        'breakdown: heap kept per notification waiting for its destinations',
        b.map((x) => x.retainedKbPerNotification),
        'KB',
      ),
    );
  }
  return out;
}

export function rows(c: Collected): Row[] {
  const out: Row[] = ceilingRows(c);
  const pick = <T>(list: T[], f: (x: T) => number): number[] => list.map(f);
  if (c.drain.length) {
    const n = c.drain[0].notifications;
    out.push(
      row(
        `drain ${n.toLocaleString('en-US')} notifications, msg/s`,
        pick(c.drain, (d) => d.rate),
        'msg/s',
      ),
    );
    out.push(
      row(
        'drain: DMaaP messages published/s',
        pick(c.drain, (d) => d.published / d.seconds),
        'msg/s',
      ),
    );
    out.push(
      row(
        'drain: relay CPU seconds per 10,000',
        pick(c.drain, (d) => d.cpuPer10k),
        's',
      ),
    );
    out.push(
      row(
        "drain: share of the relay's CPU on its main thread",
        pick(c.drain, (d) => d.mainThreadShare * 100),
        '%',
      ),
    );
    out.push(
      row(
        'drain: relay peak RSS',
        pick(c.drain, (d) => d.peakRssMb),
        'MB',
      ),
    );
    out.push(
      row(
        'drain: relay start-up (spawn to consuming)',
        pick(c.drain, (d) => d.startupSeconds),
        's',
      ),
    );
    out.push(
      row(
        'drain: DMaaP requests (messages/request)',
        pick(c.drain, (d) => d.published / d.requests),
        'x',
      ),
    );
  }
  const rates = c.latency[0]?.map((l) => l.rate) ?? [];
  rates.forEach((rate, i) => {
    const at = c.latency.map((runs) => runs[i]);
    out.push(
      ...rowsOf(`latency @ ${rate}/s: `, at, [
        ['p50', (l) => l.p50, 'ms'],
        ['p99', (l) => l.p99, 'ms'],
        ['p99.9', (l) => l.p999, 'ms'],
        ['relay CPU (% of a core)', (l) => l.relayCpu * 100, '%'],
        ['the broker (RabbitMQ) CPU (% of a core)', (l) => l.brokerCpu * 100, '%'],
        ['machine busy (% of all cores)', (l) => l.machineBusyShare * 100, '%'],
      ]),
    );
  });
  if (c.limits.length) {
    out.push(
      row(
        'limit: amqplib consume + ack each, msg/s',
        pick(c.limits, (l) => l.consumeAck),
        'msg/s',
      ),
    );
    out.push(
      row(
        'limit: amqplib consume + ack multiple/50, msg/s',
        pick(c.limits, (l) => l.consumeAckMultiple),
        'msg/s',
      ),
    );
    out.push(
      row(
        'limit: bench sink, msg/s',
        pick(c.limits, (l) => l.sink.messagesPerSecond),
        'msg/s',
      ),
    );
    out.push(
      row(
        'limit: bench sink, requests/s',
        pick(c.limits, (l) => l.sink.requestsPerSecond),
        'req/s',
      ),
    );
    out.push(
      row(
        'limit: dmaap-dev, msg/s',
        pick(c.limits, (l) => l.dmaapDev.messagesPerSecond),
        'msg/s',
      ),
    );
    out.push(
      row(
        'limit: dmaap-dev, requests/s',
        pick(c.limits, (l) => l.dmaapDev.requestsPerSecond),
        'req/s',
      ),
    );
  }
  if (c.baseline.length) {
    const n = c.baseline[0].notifications;
    out.push(
      row(
        `baseline (batch 1, 1 in flight) drain ${n.toLocaleString('en-US')}, msg/s`,
        pick(c.baseline, (d) => d.rate),
        'msg/s',
      ),
    );
    out.push(
      row(
        'baseline: relay CPU seconds per 10,000',
        pick(c.baseline, (d) => d.cpuPer10k),
        's',
      ),
    );
  }
  return out;
}

export function ratios(c: Collected): string[] {
  const drain = median(c.drain.map((d) => d.rate));
  const lines: string[] = [];
  if (c.ceiling.length) {
    for (const [name, get] of DESTINATIONS) {
      const drains = get(c);
      if (!drains.length) continue;
      const r = perRound(drains, c.ceiling);
      lines.push(
        `${`${name} / ceiling`.padEnd(41)} = ${(median(r) * 100).toFixed(0)}% (rounds: ${r.map((x) => `${(x * 100).toFixed(0)}%`).join(' | ')}), ${(median(drains.map((d) => d.cpuPer10k)) * 100).toFixed(1)} CPU us per notification vs the ceiling's ${median(c.ceiling.map((x) => x.cpuUsPerMessage)).toFixed(1)}`,
      );
    }
  }
  const byYardstick = perRound(c.drain, c.yardstick);
  if (byYardstick.length)
    lines.push(
      `${'DMaaP drain / yardstick (minimal relay)'.padEnd(41)} = ${(median(byYardstick) * 100).toFixed(0)}% (rounds: ${byYardstick.map((x) => `${(x * 100).toFixed(0)}%`).join(' | ')}), ${(median(c.drain.map((d) => d.cpuPer10k)) * 100).toFixed(1)} CPU us per notification vs the yardstick's ${median(c.yardstick.map((d) => d.cpuPer10k * 100)).toFixed(1)}`,
    );
  if (c.ceiling.length && c.drain.length) lines.push(...relayBudget(c.drain, c.ceiling, 0.6, 'DMaaP drain'));
  if (c.ceiling.length && c.filtered.length)
    lines.push(...relayBudget(c.filtered, c.ceiling, 0.8, 'filtered-traffic drain'));
  if (c.limits.length && c.drain.length) {
    const each = median(c.limits.map((l) => l.consumeAck));
    const multi = median(c.limits.map((l) => l.consumeAckMultiple));
    lines.push(`drain / consume+ack-each limit     = ${((drain / each) * 100).toFixed(0)}%`);
    lines.push(`drain / consume+ack-multiple limit = ${((drain / multi) * 100).toFixed(0)}%`);
  }
  if (c.baseline.length && c.drain.length)
    lines.push(`drain / ONAP-like baseline         = ${(drain / median(c.baseline.map((d) => d.rate))).toFixed(1)}x`);
  return lines;
}

/**
 * What a drain at `share` of the ceiling leaves the relay, per round: the machine's cores over
 * that rate, less what everything else on the machine (the broker, the sink, the bench) used
 * per notification in the same drain. A relay that used more cannot drain that fast here, on
 * however many threads, since the cores are shared. The second line is the most the drain could
 * reach if the relay's CPU were spread over every core at no cost: cores / (relay + the rest).
 */
function relayBudget(drains: DrainResult[], ceilings: CeilingResult[], share: number, name: string): string[] {
  const rounds = drains.flatMap((d, i) => {
    const ceiling = ceilings[i];
    if (!ceiling || !Number.isFinite(d.othersCpuUsPerNotification)) return [];
    const rate = ceiling.rate * share;
    const used = d.cpuPer10k * 100;
    const spread = d.cores / ((used + d.othersCpuUsPerNotification) / 1e6) / ceiling.rate;
    return [{ rate, budget: (d.cores / rate) * 1e6 - d.othersCpuUsPerNotification, used, spread, d }];
  });
  if (!rounds.length) return [];
  const each = (f: (r: (typeof rounds)[number]) => number, digits = 1): string =>
    rounds.map((r) => f(r).toFixed(digits)).join(' | ');
  const pct = `${(share * 100).toFixed(0)}%`;
  return [
    `${`${name} at ${pct} of the ceiling`.padEnd(41)} = ${Math.round(median(rounds.map((r) => r.rate))).toLocaleString('en-US')} msg/s: on ${rounds[0].d.cores} cores the relay may use <= ${median(rounds.map((r) => r.budget)).toFixed(1)} CPU us per notification (rounds: ${each((r) => r.budget)}) once the rest of the machine has what it used in the drain (rounds: ${each((r) => r.d.othersCpuUsPerNotification)}; the broker ${each((r) => r.d.brokerCpuUsPerNotification)}); the relay used ${each((r) => r.used)}`,
    `${`${name}, relay spread over every core`.padEnd(41)} <= ${(median(rounds.map((r) => r.spread)) * 100).toFixed(0)}% of the ceiling (rounds: ${rounds.map((r) => `${(r.spread * 100).toFixed(0)}%`).join(' | ')}): cores / (the relay's CPU + the rest's) per notification`,
  ];
}

export function targets(c: Collected): string[] {
  const out: string[] = [];
  const check = (name: string, ok: boolean, got: string): void =>
    void out.push(`${ok ? 'MET    ' : 'NOT MET'}  ${name} (measured ${got})`);
  if (c.drain.length) {
    const rate = median(c.drain.map((d) => d.rate));
    check('drain >= 20,000 msg/s', rate >= 20_000, `${fmt(rate, 'msg/s')} msg/s`);
    const rss = median(c.drain.map((d) => d.peakRssMb));
    check('peak RSS < 250 MB during the drain', rss < 250, `${rss.toFixed(0)} MB`);
    if (c.limits.length) {
      const limit = median(c.limits.map((l) => l.consumeAck));
      check(
        'drain >= 60% of the in-process consume-and-ack-each limit (issue 5)',
        rate >= 0.6 * limit,
        `${((rate / limit) * 100).toFixed(0)}%`,
      );
    }
  }
  const ofCeiling = (drains: DrainResult[]): number => median(perRound(drains, c.ceiling));
  if (c.drain.length && c.ceiling.length) {
    const r = ofCeiling(c.drain);
    check('DMaaP drain >= 60% of the ceiling, same run (issue 17)', r >= 0.6, `${(r * 100).toFixed(0)}%`);
  }
  if (c.filtered.length && c.ceiling.length) {
    const r = ofCeiling(c.filtered);
    check('filtered-traffic drain >= 80% of the ceiling, same run (issue 17)', r >= 0.8, `${(r * 100).toFixed(0)}%`);
  }
  const i5000 = c.latency[0]?.findIndex((l) => l.rate === 5000) ?? -1;
  if (i5000 >= 0) {
    const p99 = median(c.latency.map((r) => r[i5000].p99));
    check('p99 < 25 ms at 5,000 msg/s', p99 < 25, `${p99.toFixed(1)} ms`);
  }
  return out;
}

export function table(c: Collected): string {
  const r = rows(c);
  const w = Math.max(...r.map((x) => x[0].length), 10);
  const lines = [`${'figure'.padEnd(w)}  ${'median'.padStart(10)}  unit    runs`];
  for (const [label, med, values, unit] of r) {
    lines.push(
      `${label.padEnd(w)}  ${fmt(med, unit).padStart(10)}  ${unit.padEnd(6)}  ${values.map((v) => fmt(v, unit)).join(' | ')}`,
    );
  }
  return lines.join('\n');
}

export function writeJson(dir: string, data: object): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
