/**
 * Where a drained notification's CPU goes, measured in a fresh process (forked by
 * run.ts's `breakdown` scenario) without the broker: the relay's own Pipeline (decode, peek, parse,
 * classify, match, render, route, settle) with destinations that accept at once, over the
 * drain's and the filtered corpus; and the DMaaP publisher alone (batching, axios, HTTP) posting
 * the drain corpus's rendered messages to the bench sink. With the ceiling's CPU per message
 * (amqplib consuming and acking) these account for most of the relay's CPU per notification in
 * the drains; what remains is their meeting in one event loop (timers, microtasks, GC of both).
 *
 * Runs as a child (IPC): gets {sinkUrl}, answers {result} or {error}.
 */
import { Pipeline, type PipelineDeps } from '../src/daemon/pipeline.js';
import { VimState } from '../src/daemon/vim-state.js';
import { configSchema } from '../src/config/schema.js';
import { DmaapPublisher } from '../src/publish/dmaap/publisher.js';
import type { Destination } from '../src/publish/destination.js';
import type { Delivery } from '../src/transport/types.js';
import { silentLogger } from '../src/util/logger.js';
import { benchSubscriptions, buildCorpus, FILTERED_SOURCES, type Corpus } from './corpus.js';
import { median } from './stats.js';
import { silentObserver } from '../test/helpers/silent-observer.js';

export interface BreakdownResult {
  /** Pipeline CPU per notification, drain corpus (every notification subscribed). */
  readonly pipelineUs: number;
  /** The same over the filtered corpus (80 % matching nothing). */
  readonly pipelineFilteredUs: number;
  /** DMaaP publisher + HTTP CPU per published message (the drain publishes `messagesPerNotification` per notification). */
  readonly publisherUsPerMessage: number;
  readonly messagesPerNotification: number;
  /**
   * Heap (KB) each notification keeps while it waits for its destinations: the Pipeline holds
   * HELD_NOTIFICATIONS of the drain corpus whose records are never accepted, and the heap after
   * a full GC is compared with the heap before. What lives this long is what young-generation
   * collections copy and promote under a drain (up to a prefetch of notifications wait ~100 ms).
   */
  readonly retainedKbPerNotification: number;
}

const N = Number(process.env.BENCH_BREAKDOWN_MESSAGES ?? 20_000);
const IN_FLIGHT = 500; // the relay's default prefetch
const VIM = 'bench-breakdown';

/** Each figure is the median of this many passes over the N (one pass moves +-30 % on a shared machine). */
const REPEATS = 5;
const HELD_NOTIFICATIONS = 2000;

async function medianOf(n: number, pass: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await pass());
  return median(xs);
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const observer = silentObserver;

const accepting: Destination = {
  name: 'dmaap',
  send: () => Promise.resolve(),
  health: () => ({ ok: true, since: new Date() }),
  pending: () => 0,
  close: async () => {},
};

const delivery = (body: Buffer): Delivery => ({
  vimId: VIM,
  body,
  source: 'bench',
  redelivered: false,
  ack() {},
  requeue() {},
  deadLetter: async () => {},
});

/** The relay's Pipeline with the bench's subscriptions, publishing to `dmaap` alone; `extra` for A/B runs (bench/trace-ab.ts). */
function benchPipeline(dmaap: Destination, extra: Partial<PipelineDeps> = {}): Pipeline {
  const subs = benchSubscriptions(VIM);
  return new Pipeline({
    destinations: { dmaap },
    defaultSink: 'dmaap',
    subscriptions: () => subs,
    observer,
    logger: silentLogger(),
    maxBodyBytes: configSchema.transport.maxBodyBytes.default,
    ...extra,
  });
}

/** Pipeline CPU per notification (us), median of REPEATS passes over N. */
export async function pipelineUs(corpus: Corpus, extra: Partial<PipelineDeps> = {}): Promise<number> {
  const pipeline = benchPipeline(accepting, extra);
  const state = new VimState(VIM, { dedupeWindow: configSchema.dedupe.windowSize.default });
  const bodies = Array.from({ length: N }, (_, i) =>
    corpus.body(corpus.cycle[i % corpus.cycle.length], `bd-${i}-${Math.random()}`),
  );
  const run = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += IN_FLIGHT) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(to, i + IN_FLIGHT); j++) batch.push(pipeline.accept(state, delivery(bodies[j])));
      await Promise.all(batch);
    }
  };
  await run(0, Math.min(N, 5000)); // warm-up: the JIT, the memo
  return medianOf(REPEATS, async () => {
    const c0 = cpuUs();
    await run(0, N);
    return (cpuUs() - c0) / N;
  });
}

declare const gc: () => void; // --expose-gc (the child is forked with it)

function fullGc(): void {
  gc();
  gc();
}

async function retainedKb(corpus: Corpus): Promise<number> {
  const held: (() => void)[] = [];
  const pipeline = benchPipeline({ ...accepting, send: () => new Promise<void>((resolve) => held.push(resolve)) });
  const state = new VimState(VIM, { dedupeWindow: 0 });
  const deliveries = Array.from({ length: HELD_NOTIFICATIONS }, (_, i) =>
    delivery(corpus.body(corpus.cycle[i % corpus.cycle.length], `held-${i}-${Math.random()}`)),
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  fullGc();
  const before = process.memoryUsage().heapUsed;
  const settled = deliveries.map((d) => pipeline.accept(state, d));
  await new Promise((resolve) => setTimeout(resolve, 20));
  fullGc();
  const after = process.memoryUsage().heapUsed;
  for (const accept of held) accept();
  await Promise.all(settled);
  return (after - before) / HELD_NOTIFICATIONS / 1024;
}

async function publisherUs(corpus: Corpus, sinkUrl: string): Promise<number> {
  const defaults = Object.fromEntries(Object.entries(configSchema.publish).map(([k, v]) => [k, v.default]));
  const publisher = new DmaapPublisher({ ...defaults, url: sinkUrl, timeoutMs: 10_000 }, silentLogger());
  const jsons = corpus.rendered;
  const total = N;
  const send = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += IN_FLIGHT) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(to, i + IN_FLIGHT); j++)
        batch.push(publisher.send({ topic: 'BENCH_BREAKDOWN', json: jsons[j % jsons.length] }));
      await Promise.all(batch);
    }
  };
  try {
    await send(0, 5000);
    return await medianOf(REPEATS, async () => {
      const c0 = cpuUs();
      await send(0, total);
      return (cpuUs() - c0) / total;
    });
  } finally {
    await publisher.close(5000);
  }
}

if (process.send)
  process.once('message', (m: { sinkUrl: string }) => {
    void (async () => {
      try {
        const corpus = await buildCorpus();
        const filtered = await buildCorpus(FILTERED_SOURCES);
        const result: BreakdownResult = {
          pipelineUs: await pipelineUs(corpus),
          pipelineFilteredUs: await pipelineUs(filtered),
          publisherUsPerMessage: await publisherUs(corpus, m.sinkUrl),
          messagesPerNotification: corpus.expectedPublished(corpus.cycle.length) / corpus.cycle.length,
          retainedKbPerNotification: await retainedKb(corpus),
        };
        process.send?.({ result });
      } catch (e) {
        process.send?.({ error: (e as Error).stack ?? String(e) });
      }
    })();
  });

/** Forks this file as a child and returns what it measured (the bench sink must be running). */
export async function breakdown(sinkUrl: string): Promise<BreakdownResult> {
  const { fork } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = fork(fileURLToPath(import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, '--expose-gc'],
  });
  try {
    return await new Promise<BreakdownResult>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`breakdown child exited (${code})`)));
      child.once('message', (m: { result?: BreakdownResult; error?: string }) =>
        m.result ? resolve(m.result) : reject(new Error(`breakdown child: ${m.error}`)),
      );
      child.send({ sinkUrl });
    });
  } finally {
    child.kill();
  }
}
