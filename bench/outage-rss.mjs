#!/usr/bin/env node
/**
 * Benchmark (not a test; it takes 80+ s): the built daemon's resident memory while its
 * destination is down under steady traffic. nova-shaped notifications (messagingv2, ~1.9 KB) go
 * to the local RabbitMQ at RATE msg/s for WARMUP s with the destination up, OUTAGE s with it
 * down, and RECOVERY s with it back; then the backlog drains. The daemon runs with its default
 * tuning (prefetch 500, retries 250 ms..30 s). /proc/<pid>/status VmRSS is sampled every 250 ms.
 * Prints the RSS figures and the count sent (broker-confirmed) / delivered, and fails (exit 1)
 * when a sent message_id never arrived.
 *
 * DEST picks the destination (one subscription, every state, "sink" set to it):
 *   dmaap (default)  a Message Router stand-in on loopback; down = every request answered 503;
 *                    delivered = the message_ids it accepted.
 *   kafka            librdkafka's mock cluster (test/helpers/kafka-mock.ts, 3 brokers, a topic of
 *                    3 partitions); down = every broker down (rd_kafka_mock_broker_set_down: its
 *                    connections closed, new ones refused); delivered = the message_id headers of
 *                    the records read back from the topic at the end (librdkafka's consumer).
 *
 *   npm run bench:outage              (builds first; DEST, RATE, OUTAGE, WARMUP, RECOVERY env overrides)
 *   DEST=kafka npm run bench:outage
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672 node bench/outage-rss.mjs
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { ROOT, startRelay } from '../dist/bench/bench/procs.js';
import { MockKafka } from '../dist/bench/test/helpers/kafka-mock.js';

const DEST = process.env.DEST ?? 'dmaap';
const RATE = Number(process.env.RATE ?? 1000);
const OUTAGE_S = Number(process.env.OUTAGE ?? 60);
const WARMUP_S = Number(process.env.WARMUP ?? 10);
const RECOVERY_S = Number(process.env.RECOVERY ?? 10);
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Distinct VMs (instance_id, the Kafka key) the notifications cycle through. */
const VMS = Number(process.env.VMS ?? 500);
/**
 * Partitions of the Kafka topic. The mock cluster keeps at most 5 MiB per partition (older
 * message sets are dropped, as retention would), so the 80,000 records of ~1.2 KB of a default
 * run need many partitions to be all there when the topic is read back; 64 holds them with room.
 */
const KAFKA_PARTITIONS = Number(process.env.KAFKA_PARTITIONS ?? 64);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const tag = randomBytes(4).toString('hex');
const vimId = `bench-${tag}`;
const exchange = `nova-bench-${tag}`;
const queue = `vim-event-relay.${vimId}`;
const topic = `BENCH_${tag}`;

/**
 * A destination under test: the daemon's config for it, how to take it down and bring it back,
 * how many message_ids it holds so far (cheap, polled while draining) and which (at the end).
 */
const DESTINATIONS = {
  /** A DMaaP stand-in: 503 while down, else 200 and the message_ids are counted. */
  async dmaap() {
    const state = { down: false, delivered: new Set(), accepted: 0, refused: 0 };
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (state.down) {
          state.refused++;
          res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Service Unavailable');
          return;
        }
        const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const m of batch) state.delivered.add(m.message_id);
        state.accepted += batch.length;
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ count: batch.length, serverTimeMs: 0 }));
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      label: 'DMaaP',
      downLabel: 'DMaaP 503',
      config: { dmaap: { url: `http://127.0.0.1:${server.address().port}` } },
      sink: 'dmaap',
      down: async () => void (state.down = true),
      up: async () => void (state.down = false),
      progress: async () => state.delivered.size,
      duringOutage: () => `${state.refused} requests refused with 503`,
      delivered: async () => ({ ids: state.delivered, records: state.accepted }),
      stop: () => new Promise((resolve) => server.close(resolve)),
    };
  },

  /** librdkafka's mock cluster: every broker down, then up. */
  async kafka(metric) {
    const mock = await MockKafka.start(3);
    await mock.createTopic(topic, KAFKA_PARTITIONS, 1);
    return {
      label: 'Kafka',
      downLabel: 'every Kafka broker down',
      config: { kafka: { brokers: mock.brokers } },
      sink: 'kafka',
      down: () => mock.command('down -1'),
      up: () => mock.command('up -1'),
      // Records acknowledged by the cluster, as the daemon counts them; the topic is read at the end.
      progress: () => metric('vim_event_relay_notifications_published_total', { destination: 'kafka', topic }),
      duringOutage: async () =>
        `${await metric('vim_event_relay_destination_pending', { destination: 'kafka' })} records pending in the Kafka destination`,
      delivered: async () => {
        const records = await mock.dump(topic);
        const bytes = records.reduce((n, r) => n + r.value.length, 0);
        console.log(
          `read back ${records.length} records (${(bytes / records.length).toFixed(0)} bytes per value on average) from ${KAFKA_PARTITIONS} partitions`,
        );
        // A partition whose first offset is not 0 lost its oldest records to the mock's 5 MiB cap, not to the relay.
        const trimmed = new Map();
        for (const r of records) trimmed.set(r.partition, Math.min(trimmed.get(r.partition) ?? Infinity, r.offset));
        const cut = [...trimmed].filter(([, first]) => first > 0);
        if (cut.length)
          throw new Error(
            `the mock cluster dropped the oldest records of partition(s) ${cut.map(([p]) => p).join(', ')} (it keeps 5 MiB per partition): raise KAFKA_PARTITIONS`,
          );
        return { ids: new Set(records.map((r) => r.headers.message_id?.toString('utf8'))), records: records.length };
      },
      stop: () => mock.stop(),
    };
  },
};

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  const make = DESTINATIONS[DEST];
  if (!make) throw new Error(`DEST must be one of ${Object.keys(DESTINATIONS).join(', ')}, got "${DEST}"`);
  let adminUrl = '';
  /** The daemon's /metrics now: the sum of the series of `name` that carry every label of `labels`. */
  const metric = async (name, labels = {}) => {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let sum = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`, 'gm'))) {
      const have = (m[1] ?? '').split(',');
      if (want.every((w) => have.includes(w))) sum += Number(m[2]);
    }
    return sum;
  };
  const dest = await make(metric);
  const model = await connect(AMQP_URL);
  const ch = await model.createConfirmChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  // Resolves once the VIM consumes (REACHABLE).
  const daemon = await startRelay({
    ...dest.config,
    vims: [{ id: vimId, transportUrl: AMQP_URL.replace(/^amqp:/, 'rabbit:'), exchange, exchangeDurable: true }],
    subscriptions: [{ id: `${vimId}-all`, vimId, states: ['*'], topic, sink: dest.sink }],
  });
  adminUrl = daemon.adminUrl;
  const sample = JSON.parse(
    readFileSync(path.join(ROOT, 'test/fixtures/oslo-wire/sample-wire-legacy-messagingv2.json'), 'utf8'),
  ).body;
  const inner = JSON.parse(sample['oslo.message']);
  // VM n of VMS: the sample's instance_id with n as its last group.
  const vm = (i) => `${inner.payload.instance_id.slice(0, 24)}${String(i % VMS).padStart(12, '0')}`;
  const body = (id, i) =>
    Buffer.from(
      JSON.stringify({
        'oslo.version': '2.0',
        'oslo.message': JSON.stringify({ ...inner, message_id: id, payload: { ...inner.payload, instance_id: vm(i) } }),
      }),
    );

  const samples = [];
  let phase = 'warmup';
  const sampler = setInterval(() => samples.push({ phase, kb: rssKb(daemon.proc.pid), at: Date.now() }), 250);
  const sent = [];
  let confirmed = 0;
  let nacked = 0;
  const total = RATE * (WARMUP_S + OUTAGE_S + RECOVERY_S);
  const started = Date.now();
  const phaseAt = (s) => started + s * 1000;
  console.log(
    `bench (${dest.label}): ${RATE} msg/s for ${WARMUP_S} s (up), ${OUTAGE_S} s (${dest.downLabel}), ${RECOVERY_S} s (back), ${VMS} VMs; daemon pid ${daemon.proc.pid}, default tuning`,
  );
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  let outageSnapshot;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    if (due - Date.now() > 2) await sleep(due - Date.now());
    const now = Date.now();
    if (phase === 'warmup' && now >= phaseAt(WARMUP_S)) {
      phase = 'outage';
      await dest.down();
    } else if (phase === 'outage' && now >= phaseAt(WARMUP_S + OUTAGE_S)) {
      outageSnapshot = {
        inFlight: await metric('vim_event_relay_in_flight', { vim: vimId }),
        queued: (await ch.checkQueue(queue)).messageCount,
        dest: await dest.duringOutage(),
      };
      phase = 'recovery';
      await dest.up();
    }
    const id = `bench-${tag}-${i}`;
    sent.push(id);
    ch.publish(
      exchange,
      'notifications.info',
      body(id, i),
      { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 },
      (err) => (err ? nacked++ : confirmed++),
    );
  }
  await ch.waitForConfirms();
  const publishedIn = (Date.now() - started) / 1000;
  phase = 'drain';
  const drainStarted = Date.now();
  const drained = async () =>
    (await dest.progress()) >= sent.length && (await metric('vim_event_relay_in_flight', { vim: vimId })) === 0;
  while (!(await drained()) && Date.now() - drainStarted < 300000) await sleep(250);
  const drainS = (Date.now() - drainStarted) / 1000;
  clearInterval(sampler);

  const of = (p) => samples.filter((s) => s.phase === p).map((s) => s.kb);
  const max = (xs) => Math.max(...xs);
  const outage = of('outage');
  const delivered = await dest.delivered();
  const missing = sent.filter((id) => !delivered.ids.has(id)).length;
  console.log(`RSS samples: ${samples.length} (every 250 ms)`);
  console.log(`RSS warmup: last ${mb(of('warmup').at(-1))}, peak ${mb(max(of('warmup')))}`);
  console.log(
    `RSS during the ${OUTAGE_S} s outage: first ${mb(outage[0])}, peak ${mb(max(outage))}, last ${mb(outage.at(-1))}`,
  );
  console.log(
    `RSS recovery+drain: peak ${mb(max([...of('recovery'), ...of('drain')]))}; overall peak ${mb(max(samples.map((s) => s.kb)))}`,
  );
  if (outageSnapshot)
    console.log(
      `at the end of the outage: ${outageSnapshot.inFlight} in flight in the daemon, ${outageSnapshot.queued} waiting in the broker, ${outageSnapshot.dest}`,
    );
  console.log(
    `sent ${sent.length} (broker-confirmed ${confirmed}, nacked ${nacked}) in ${publishedIn.toFixed(1)} s; delivered ${delivered.ids.size} distinct (${delivered.records} in all), missing ${missing}; backlog drained in ${drainS.toFixed(1)} s after publishing stopped`,
  );

  await daemon.stop();
  for (const q of [queue, `${queue}.dead`]) await ch.deleteQueue(q);
  await ch.deleteExchange(exchange);
  await model.close();
  await dest.stop();
  process.exitCode = missing === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
