/** One run of each scenario; run.ts repeats them and takes medians. */
import { randomBytes } from 'node:crypto';
import type { Corpus } from './corpus.js';
import { benchSubscriptions } from './corpus.js';
import { consumeAndAck, declareQueue, deleteQueues, open, prefill, publishAtRate } from './broker.js';
import { endpointRate, type EndpointRate } from './endpoint.js';
import {
  cpuSeconds,
  freePort,
  cpuSince,
  machineSince,
  othersUsPer,
  peakRssMb,
  startDmaapDev,
  startRelay,
  type Relay,
  type Sink,
} from './procs.js';
import type { BenchSettings } from './settings.js';
import { percentiles, type Percentiles } from './stats.js';

export interface Ctx {
  readonly s: BenchSettings;
  readonly corpus: Corpus;
  readonly sink: Sink;
  readonly exchange: string;
}

interface SinkStats {
  count: number;
  requests: number;
  firstAt: number;
  lastAt: number;
}

export interface DrainResult {
  readonly notifications: number;
  readonly published: number;
  readonly seconds: number;
  readonly rate: number;
  readonly cpuPer10k: number;
  /** The share of that CPU spent on the relay's main thread (the rest: V8's helper threads, libuv's pool). */
  readonly mainThreadShare: number;
  /** The local broker's CPU per notification over the same span (NaN without a local broker). */
  readonly brokerCpuUsPerNotification: number;
  /** Everything else on the machine (the broker, the sink, the bench) per notification, CPU us. */
  readonly othersCpuUsPerNotification: number;
  /** The machine's busy share of all its cores over the span, 0..1. */
  readonly machineBusyShare: number;
  /** The machine's cores. */
  readonly cores: number;
  readonly peakRssMb: number;
  readonly startupSeconds: number;
  readonly requests: number;
  readonly duplicates: number;
}

export interface LatencyResult extends Percentiles {
  readonly rate: number;
  readonly achievedRate: number;
  readonly samples: number;
  /** Relay CPU use while measured, as a fraction of one core. */
  readonly relayCpu: number;
  /** The local broker's CPU use over the same span, as a fraction of one core (NaN without one). */
  readonly brokerCpu: number;
  /** The machine's busy share of all its cores over the same span, 0..1. */
  readonly machineBusyShare: number;
}

export interface LimitsResult {
  readonly consumeAck: number;
  readonly consumeAckMultiple: number;
  readonly sink: EndpointRate;
  readonly dmaapDev: EndpointRate;
}

export const id = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

function rabbitUrl(amqpUrl: string): string {
  const u = new URL(amqpUrl);
  return `rabbit://${u.username || 'guest'}:${u.password || 'guest'}@${u.hostname}:${u.port || '5672'}${u.pathname || '/'}`;
}

/** The relay's config for one scenario; `extra` replaces top-level keys (the Kafka drain's subscriptions and kafka). */
export function relayConfig(
  ctx: Ctx,
  vimId: string,
  publish: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    dmaap: { url: ctx.sink.url, timeoutMs: 5000 },
    publish,
    transport: { ...ctx.s.transportOverrides },
    vims: [{ id: vimId, transportUrl: rabbitUrl(ctx.s.amqpUrl), exchange: ctx.exchange }],
    subscriptions: benchSubscriptions(vimId),
    ...extra,
  };
}

export async function waitForSink(sink: Sink, expected: number, timeoutMs: number, relay?: Relay): Promise<SinkStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await sink.ask<SinkStats>({ cmd: 'stats' });
    if (st.count >= expected) return st;
    if (Date.now() > deadline)
      throw new Error(
        `sink got ${st.count} of ${expected} messages within ${timeoutMs} ms${relay ? `\nrelay output tail:\n${relay.output().slice(-2000)}` : ''}`,
      );
    if (relay && relay.proc.exitCode !== null)
      throw new Error(`relay exited (${relay.proc.exitCode}):\n${relay.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A drain's figures but its requests and duplicates, measured from now until `untilEnd` gives when the last record landed. */
export async function measureDrain(
  relay: Relay,
  n: number,
  expected: number,
  untilEnd: () => Promise<number>,
): Promise<Omit<DrainResult, 'requests' | 'duplicates'>> {
  const pid = relay.proc.pid as number;
  const used = cpuSince(pid);
  const machine = machineSince();
  const endAt = await untilEnd();
  const cpu = used();
  const span = machine();
  const seconds = (endAt - relay.consumingAt) / 1000;
  return {
    notifications: n,
    published: expected,
    seconds,
    rate: n / seconds,
    cpuPer10k: (cpu.total / n) * 10_000,
    mainThreadShare: cpu.main / cpu.total,
    brokerCpuUsPerNotification: (span.brokerSeconds / n) * 1e6,
    othersCpuUsPerNotification: othersUsPer(span, cpu.total, n),
    machineBusyShare: span.busyShare,
    cores: span.cores,
    peakRssMb: peakRssMb(pid),
    startupSeconds: (relay.consumingAt - relay.spawnedAt) / 1000,
  };
}

/** Pre-queue `n`, start the relay, time it to the last message received by the sink. */
export async function drain(ctx: Ctx, n: number, publish: Record<string, unknown>): Promise<DrainResult> {
  const vimId = id('bench');
  const queue = `vim-event-relay.${vimId}`;
  await declareQueue(ctx.s.amqpUrl, ctx.exchange, queue);
  let relay: Relay | undefined;
  try {
    const expected = await prefill(ctx.s.amqpUrl, ctx.exchange, queue, ctx.corpus, n, 'D');
    await ctx.sink.ask({ cmd: 'reset' });
    relay = await startRelay(relayConfig(ctx, vimId, publish), ctx.s.cpuProfDir);
    let st: SinkStats | undefined;
    const m = await measureDrain(relay, n, expected, async () => {
      st = await waitForSink(ctx.sink, expected, 120_000 + n * 10, relay);
      return st.lastAt;
    });
    // Whatever arrives a moment later is a duplicate.
    await new Promise((r) => setTimeout(r, 200));
    const after = await ctx.sink.ask<SinkStats>({ cmd: 'stats' });
    return { ...m, requests: st?.requests ?? NaN, duplicates: after.count - expected };
  } finally {
    await relay?.stop();
    await deleteQueues(ctx.s.amqpUrl, [queue, `${queue}.dead`]);
  }
}

/** A running relay fed at each steady rate in turn; latency publish -> sink receipt. */
export async function latency(ctx: Ctx): Promise<LatencyResult[]> {
  const vimId = id('bench');
  const queue = `vim-event-relay.${vimId}`;
  const relay = await startRelay(relayConfig(ctx, vimId, ctx.s.publishOverrides), ctx.s.cpuProfDir);
  const model = await open(ctx.s.amqpUrl);
  const results: LatencyResult[] = [];
  try {
    const ch = await model.createChannel();
    let offset = 0;
    for (const rate of ctx.s.latencyRates) {
      await ctx.sink.ask({ cmd: 'reset' });
      const warm = await publishAtRate(ch, ctx.exchange, ctx.corpus, rate, ctx.s.latencyWarmupSeconds, 'w', offset);
      offset += warm.sent;
      const cpu0 = cpuSeconds(relay.proc.pid!);
      const machine = machineSince();
      const started = performance.now();
      const paced = await publishAtRate(ch, ctx.exchange, ctx.corpus, rate, ctx.s.latencySeconds, `r${rate}`, offset);
      const elapsed = (performance.now() - started) / 1000;
      const relayCpu = (cpuSeconds(relay.proc.pid!) - cpu0) / elapsed;
      const span = machine();
      offset += paced.sent;
      await waitForSink(ctx.sink, warm.expected + paced.expected, 60_000, relay);
      const { latencies } = await ctx.sink.ask<{ latencies: number[] }>({ cmd: 'latencies', tag: `r${rate}` });
      results.push({
        rate,
        achievedRate: paced.sent / elapsed,
        samples: latencies.length,
        relayCpu,
        brokerCpu: span.brokerSeconds / span.seconds,
        machineBusyShare: span.busyShare,
        ...percentiles(latencies),
      });
    }
  } finally {
    await model.close().catch(() => undefined);
    await relay.stop();
    await deleteQueues(ctx.s.amqpUrl, [queue, `${queue}.dead`]);
  }
  return results;
}

async function consumeLimit(ctx: Ctx, n: number, prefetch: number, everyN: number): Promise<number> {
  const queue = id('bench-limit');
  await declareQueue(ctx.s.amqpUrl, ctx.exchange, queue);
  try {
    await prefill(ctx.s.amqpUrl, ctx.exchange, queue, ctx.corpus, n, 'C');
    return (await consumeAndAck(ctx.s.amqpUrl, queue, n, prefetch, everyN)).rate;
  } finally {
    await deleteQueues(ctx.s.amqpUrl, [queue]);
  }
}

/** What this machine can do at all: amqplib with no processing, and each HTTP endpoint on its own. */
export async function limits(ctx: Ctx, prefetch: number): Promise<LimitsResult> {
  const n = ctx.s.drainMessages;
  const consumeAck = await consumeLimit(ctx, n, prefetch, 1);
  const consumeAckMultiple = await consumeLimit(ctx, n, prefetch, 50);
  const { endpointBatch: batch, endpointSeconds: secs } = ctx.s;
  const sink = await endpointRate(ctx.sink.url, ctx.corpus.rendered, batch, 4, secs);
  const dev = await startDmaapDev(await freePort());
  try {
    const dmaapDev = await endpointRate(dev.url, ctx.corpus.rendered, batch, 4, secs);
    return { consumeAck, consumeAckMultiple, sink, dmaapDev };
  } finally {
    await dev.stop();
  }
}
