/**
 * `npm run bench:kafka`: how fast KafkaDestination drains a backlog into a Kafka cluster (the
 * librdkafka mock cluster of test/kafka-mock, 3 brokers on loopback, its own process; then a real
 * Apache Kafka broker from test/helpers/kafka-real.ts, KAFKA_VERSION, plaintext), and the
 * ceiling of the same client on the same cluster in the same run: kafkajs sending the same
 * records in 500-record requests, 8 in flight, with no per-partition lanes. CPU is this
 * process's (destination + client), per record. Records are the golden VM message (about 1 KB),
 * 500 VMs as keys; at most `window` records unsettled at once, as a listener's prefetch would;
 * a warm-up round first, not measured, so that neither path is timed while the JIT compiles it.
 * Env: KAFKA_BENCH_RECORDS (default 50000), KAFKA_BENCH_WINDOW (2000), KAFKA_BENCH_RUNS (3),
 * KAFKA_BENCH_CLUSTERS (mock,real: which clusters, in that order).
 * `kafkaDrainRun` is exported for `npm run bench` to call beside its own scenarios.
 */
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import kafkajs from 'kafkajs';
import { KafkaDestination } from '../src/publish/kafka/destination.js';
import type { OutboundRecord } from '../src/publish/destination.js';
import { silentLogger } from '../src/util/logger.js';
import { MockKafka } from '../test/helpers/kafka-mock.js';
import { startRealKafka } from '../test/helpers/kafka-real.js';
import { machine } from './settings.js';

const N = Number(process.env.KAFKA_BENCH_RECORDS ?? 50_000);
const WINDOW = Number(process.env.KAFKA_BENCH_WINDOW ?? 2000);
const RUNS = Number(process.env.KAFKA_BENCH_RUNS ?? 3);
const TOPIC_PARTITIONS = 6;
const CLUSTERS = (process.env.KAFKA_BENCH_CLUSTERS ?? 'mock,real').split(',').map((c) => c.trim());

/** What a run needs of a cluster: the mock and the real broker both offer it. */
export interface BenchCluster {
  readonly brokers: string[];
  createTopic(topic: string, partitions: number): Promise<unknown>;
}

const template = JSON.parse(readFileSync('test/fixtures/golden/versioned-power_off.end.json', 'utf8')) as Record<
  string,
  unknown
>;

function records(topic: string, n = N): OutboundRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const vm = `vm-${i % 500}`;
    const json = JSON.stringify({ ...template, instance_id: vm, message_id: `m-${i}` });
    return { topic, key: vm, json, headers: { message_id: `m-${i}`, vim_id: 'vio-1', event: 'POWER_OFF' } };
  });
}

export interface Figures {
  readonly seconds: number;
  readonly perSecond: number;
  readonly cpuUsPerRecord: number;
}

/** Sends every record through `send`, never more than WINDOW unsettled. */
async function measure(recs: readonly OutboundRecord[], send: (r: OutboundRecord) => Promise<void>): Promise<Figures> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < recs.length) await send(recs[next++]);
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, perSecond: recs.length / seconds, cpuUsPerRecord: (cpu.user + cpu.system) / recs.length };
}

/** kafkajs alone: the WINDOW records gathered into 500-record requests, 8 in flight. */
async function ceiling(mock: BenchCluster, recs: readonly OutboundRecord[]): Promise<Figures> {
  const kafka = new kafkajs.Kafka({ brokers: mock.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const chunks: OutboundRecord[][] = [];
    for (let i = 0; i < recs.length; i += 500) chunks.push(recs.slice(i, i + 500));
    let n = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const worker = async (): Promise<void> => {
      while (n < chunks.length) {
        const chunk = chunks[n++];
        await producer.send({
          topic: chunk[0].topic,
          acks: -1,
          messages: chunk.map((r) => ({ key: r.key, value: r.json, headers: { ...r.headers } })),
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, WINDOW / 500 || 1) }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, perSecond: recs.length / seconds, cpuUsPerRecord: (cpu.user + cpu.system) / recs.length };
  } finally {
    await producer.disconnect();
  }
}

/** One run on a running mock cluster: the destination, then the client alone, on fresh topics. */
export async function kafkaDrainRun(
  mock: BenchCluster,
  tag: string,
  n = N,
): Promise<{ destination: Figures; ceiling: Figures }> {
  const topic = `bench.kafka.${tag}.${process.pid}`;
  await mock.createTopic(topic, TOPIC_PARTITIONS);
  const d = new KafkaDestination({ brokers: mock.brokers }, silentLogger());
  try {
    await d.send(records(topic, 1)[0]); // connected and the topic's metadata known, as in steady state
    const destination = await measure(records(topic, n), (r) => d.send(r));
    const rawTopic = `${topic}.raw`;
    await mock.createTopic(rawTopic, TOPIC_PARTITIONS);
    return { destination, ceiling: await ceiling(mock, records(rawTopic, n)) };
  } finally {
    await d.close(5000);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Out = (s: string) => void;

/** A warm-up and RUNS measured runs on one cluster; prints each run and the medians. */
async function benchOn(cluster: BenchCluster, tag: string, label: string, out: Out): Promise<void> {
  const dest: Figures[] = [];
  const raw: Figures[] = [];
  // Not measured: both paths compiled by the JIT before either is timed.
  await kafkaDrainRun(cluster, `${tag}.warm-up`, Math.min(N, 10_000));
  for (let run = 0; run < RUNS; run++) {
    const r = await kafkaDrainRun(cluster, `${tag}.${run}`);
    dest.push(r.destination);
    raw.push(r.ceiling);
    out(
      `${label} run ${run + 1}: KafkaDestination ${Math.round(dest[run].perSecond)} records/s, ${dest[run].cpuUsPerRecord.toFixed(1)} CPU us/record; kafkajs ceiling ${Math.round(raw[run].perSecond)} records/s, ${raw[run].cpuUsPerRecord.toFixed(1)} CPU us/record`,
    );
  }
  out(
    `${label} median: KafkaDestination ${Math.round(median(dest.map((f) => f.perSecond)))} records/s, ${median(dest.map((f) => f.cpuUsPerRecord)).toFixed(1)} CPU us/record`,
  );
  out(
    `${label} median: kafkajs ceiling ${Math.round(median(raw.map((f) => f.perSecond)))} records/s, ${median(raw.map((f) => f.cpuUsPerRecord)).toFixed(1)} CPU us/record`,
  );
}

async function main(): Promise<void> {
  const m = machine();
  const out: Out = (s) => void process.stdout.write(`${s}\n`);
  out(
    `kafka drain: ${m.cores} cores (${m.cpu}), ${m.memGb} GB, Node ${m.node}, ${m.platform}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  out(
    `${N} records of ~${Buffer.byteLength(records('x')[0].json)} bytes, 500 keys, ${TOPIC_PARTITIONS} partitions, window ${WINDOW}, ${RUNS} runs (median)`,
  );
  for (const c of CLUSTERS) {
    if (c === 'mock') {
      const mock = await MockKafka.start(3);
      await benchOn(mock, 'mock', 'mock (librdkafka, 3 brokers)', out).finally(() => mock.stop());
    } else if (c === 'real') {
      const real = await startRealKafka({ log: (l) => process.stderr.write(`${l}\n`) });
      const label = `real (Apache Kafka ${real.version}, 1 broker, plaintext)`;
      await benchOn(
        { brokers: real.brokers, createTopic: (t, p) => real.createTopic(t, p, 1) },
        'real',
        label,
        out,
      ).finally(() => real.stop());
    } else throw new Error(`KAFKA_BENCH_CLUSTERS: "${c}" is neither mock nor real`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
