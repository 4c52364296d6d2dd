/**
 * The yardstick's drain (bench/yardstick.ts in a fresh process): the same pre-queued corpus and
 * the same counting sink as the relay's DMaaP drain, timed and measured the same way
 * (scenarios.ts measureDrain). run.ts prints the relay's drain as a share of it.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNotification } from '../src/notifications/parse.js';
import { matchSubscriptions } from '../src/filter/match.js';
import { benchSubscriptions, type Corpus } from './corpus.js';
import { declareQueue, deleteQueues, prefill } from './broker.js';
import { stopChild, type Relay } from './procs.js';
import { id, measureDrain, waitForSink, type Ctx, type DrainResult } from './scenarios.js';
import type { YardstickJob, YardstickRoute } from './yardstick.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Messages per POST: the relay's default batch (publish.batchMaxMessages). */
const BATCH = 100;

/**
 * Event type -> the state and topics the relay's own matching gives each template of the corpus,
 * so that the yardstick publishes exactly what the relay does; a type the corpus routes two ways
 * would make the table lie, so it throws.
 */
export function yardstickRoutes(corpus: Corpus, vimId: string): Record<string, YardstickRoute> {
  const routes: Record<string, YardstickRoute> = {};
  for (const t of corpus.templates) {
    const parsed = parseNotification(corpus.body(t, 'yardstick'));
    if (!parsed.ok) throw new Error(`yardstick: template ${t.name} does not parse`);
    const n = parsed.notification;
    const matches = matchSubscriptions(vimId, n, benchSubscriptions(vimId));
    const route: YardstickRoute = {
      event: matches[0]?.event ?? '',
      topics: matches.map((m) => m.subscription.topic),
    };
    const known = routes[n.eventType];
    if (known && JSON.stringify(known) !== JSON.stringify(route))
      throw new Error(`yardstick: event type ${n.eventType} is routed two ways in the corpus`);
    routes[n.eventType] = route;
  }
  return routes;
}

type Answer = { consuming?: number; done?: true; error?: string };

/** Pre-queue `n`, start the yardstick, time it to the last message received by the sink. */
export async function yardstickDrain(ctx: Ctx, n: number, prefetch: number): Promise<DrainResult> {
  const vimId = id('bench');
  const queue = id('bench-yardstick');
  await declareQueue(ctx.s.amqpUrl, ctx.exchange, queue);
  let output = '';
  const child = fork(path.join(HERE, 'yardstick.js'), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  child.on('message', (m: Answer) => {
    if (m.error) output += `\n${m.error}`;
  });
  try {
    const expected = await prefill(ctx.s.amqpUrl, ctx.exchange, queue, ctx.corpus, n, 'Y');
    await ctx.sink.ask({ cmd: 'reset' });
    const spawnedAt = Date.now();
    const consumingAt = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: Answer) => (m.consuming ? resolve(m.consuming) : m.error && reject(new Error(m.error))));
      child.once('exit', (c) => reject(new Error(`yardstick exited (${c}) before consuming:\n${output}`)));
      const job: YardstickJob = {
        amqpUrl: ctx.s.amqpUrl,
        queue,
        n,
        prefetch,
        sinkUrl: ctx.sink.url,
        vimId,
        batch: BATCH,
        routes: yardstickRoutes(ctx.corpus, vimId),
      };
      child.send(job);
    });
    const relay: Relay = {
      proc: child,
      consumingAt,
      spawnedAt,
      adminUrl: '',
      output: () => output,
      stop: () => stopChild(child),
    };
    let requests = NaN;
    const m = await measureDrain(relay, n, expected, async () => {
      const st = await waitForSink(ctx.sink, expected, 120_000 + n * 10, relay);
      requests = st.requests;
      return st.lastAt;
    });
    return { ...m, requests, duplicates: 0 };
  } finally {
    await stopChild(child);
    await deleteQueues(ctx.s.amqpUrl, [queue]);
  }
}
