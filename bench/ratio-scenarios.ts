/**
 * The scenarios issue 17 measures against: the ceiling (bench/ceiling.ts in a fresh process),
 * and the relay's drain into Kafka (librdkafka's mock cluster). The filtered-traffic drain is
 * scenarios.ts's drain over corpus.ts's FILTERED_SOURCES. run.ts divides each drain by the
 * ceiling of the same run.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin } from 'kafkajs';
import { benchSubscriptions } from './corpus.js';
import { declareQueue, deleteQueues, prefill } from './broker.js';
import { cpuSeconds, machineSince, peakRssMb, startRelay, stopChild, type Relay } from './procs.js';
import { id, measureDrain, relayConfig, type Ctx, type DrainResult } from './scenarios.js';
import type { MockKafka } from '../test/helpers/kafka-mock.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What the issue calls the ceiling: consume + ack `multiple` every 50, no work, a fresh process. */
export const CEILING_ACK_EVERY = 50;

export interface CeilingResult {
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  /** CPU (user + system, from /proc of the child) per message, between {go} and {done}. */
  readonly cpuUsPerMessage: number;
  /** The local broker's CPU per message over the same span (NaN without a local broker). */
  readonly brokerCpuUsPerMessage: number;
  /** The machine's busy share of all its cores over the span, 0..1. */
  readonly machineBusyShare: number;
  readonly peakRssMb: number;
}

type Answer = { ready?: true; done?: true; seconds?: number; error?: string };

/** Pre-queues `n` of the drain's corpus in a queue declared as the drain's, then times the child on it. */
export async function ceiling(ctx: Ctx, n: number, prefetch: number): Promise<CeilingResult> {
  const queue = id('bench-ceiling');
  await declareQueue(ctx.s.amqpUrl, ctx.exchange, queue);
  const child = fork(path.join(HERE, 'ceiling.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await prefill(ctx.s.amqpUrl, ctx.exchange, queue, ctx.corpus, n, 'K');
    const pid = child.pid as number;
    // A broker that stops answering (restarted, out of file descriptors) fails the round instead of hanging it.
    const next = (what: string, timeoutMs: number): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const onExit = (c: number | null): void => reject(new Error(`ceiling child exited (${c})`));
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `ceiling child: no ${what} within ${timeoutMs} ms (is RabbitMQ at ${ctx.s.amqpUrl} answering?)`,
              ),
            ),
          timeoutMs,
        );
        child.once('exit', onExit);
        child.once('message', (m: Answer) => {
          clearTimeout(timer);
          child.off('exit', onExit);
          if (m.error) reject(new Error(`ceiling child: ${m.error}`));
          else resolve(m);
        });
      });
    let answer = next('connection', 30_000);
    child.send({ url: ctx.s.amqpUrl, queue, n, prefetch, every: CEILING_ACK_EVERY });
    await answer;
    const cpu0 = cpuSeconds(pid);
    const machine = machineSince();
    answer = next('end of the backlog', 120_000 + n * 10);
    child.send({ go: true });
    const { seconds = NaN } = await answer;
    const cpu = cpuSeconds(pid) - cpu0;
    const span = machine();
    const rss = peakRssMb(pid);
    child.send({ exit: true });
    return {
      messages: n,
      seconds,
      rate: n / seconds,
      cpuUsPerMessage: (cpu / n) * 1e6,
      brokerCpuUsPerMessage: (span.brokerSeconds / n) * 1e6,
      machineBusyShare: span.busyShare,
      peakRssMb: rss,
    };
  } finally {
    await stopChild(child);
    await deleteQueues(ctx.s.amqpUrl, [queue]);
  }
}

/** Records on `topics`: the sum of their partitions' high watermarks (ListOffsets, no consuming). */
async function recordCount(admin: Admin, topics: readonly string[]): Promise<number> {
  let total = 0;
  for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) total += Number(p.high);
  return total;
}

/** Polls the record count every 20 ms until `expected`; the time of that poll ends the drain. */
async function waitForRecords(
  admin: Admin,
  topics: readonly string[],
  expected: number,
  timeoutMs: number,
  relay: Relay,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await recordCount(admin, topics);
    if (count >= expected) return Date.now();
    if (Date.now() > deadline)
      throw new Error(
        `Kafka got ${count} of ${expected} records within ${timeoutMs} ms\nrelay output tail:\n${relay.output().slice(-2000)}`,
      );
    if (relay.proc.exitCode !== null)
      throw new Error(`relay exited (${relay.proc.exitCode}):\n${relay.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The drain of scenarios.ts with every subscription on `"sink": "kafka"` and `kafka.brokers` on
 * the mock cluster (3 brokers, 6 partitions a topic, declared beforehand: the relay never
 * creates topics). Ends when the topics hold every record the corpus makes.
 */
export async function kafkaDrain(
  ctx: Ctx,
  mock: MockKafka,
  n: number,
  publish: Record<string, unknown>,
): Promise<DrainResult> {
  const vimId = id('bench');
  const queue = `vim-event-relay.${vimId}`;
  const subscriptions = benchSubscriptions(vimId).map((sub) => ({
    ...sub,
    topic: `bench.${vimId}.${sub.topic}`,
    sink: 'kafka',
  }));
  const topics = subscriptions.map((sub) => sub.topic);
  for (const t of topics) await mock.createTopic(t, 6);
  const admin = new kafkajs.Kafka({ brokers: mock.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await declareQueue(ctx.s.amqpUrl, ctx.exchange, queue);
  let relay: Relay | undefined;
  try {
    const expected = await prefill(ctx.s.amqpUrl, ctx.exchange, queue, ctx.corpus, n, 'F');
    const started = await startRelay(
      relayConfig(ctx, vimId, publish, { subscriptions, kafka: { brokers: mock.brokers } }),
      ctx.s.cpuProfDir,
    );
    relay = started;
    const m = await measureDrain(started, n, expected, () =>
      waitForRecords(admin, topics, expected, 120_000 + n * 10, started),
    );
    await new Promise((r) => setTimeout(r, 200));
    const after = await recordCount(admin, topics);
    return { ...m, requests: NaN, duplicates: after - expected };
  } finally {
    await relay?.stop();
    await admin.disconnect().catch(() => undefined);
    await deleteQueues(ctx.s.amqpUrl, [queue, `${queue}.dead`]);
  }
}
