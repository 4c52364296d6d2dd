/**
 * `npm run bench`: the relay (built dist/main.js, as its own process) against the local
 * RabbitMQ and a minimal local HTTP sink standing in for DMaaP. Scenarios run interleaved,
 * one of each per round, so that noise from other work on the machine hits all of them
 * alike; each figure is the median over the rounds. See docs/performance.md.
 */
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../src/config/schema.js';
import { buildCorpus, FILTERED_SOURCES } from './corpus.js';
import { declareExchange, deleteExchange } from './broker.js';
import { relayNodeFlags, ROOT, startSink } from './procs.js';
import { ratios, table, targets, writeJson, type Collected } from './report.js';
import { drain, latency, limits, type Ctx } from './scenarios.js';
import { ceiling, kafkaDrain } from './ratio-scenarios.js';
import { yardstickDrain } from './yardstick-scenario.js';
import { breakdown } from './breakdown.js';
import { MockKafka } from '../test/helpers/kafka-mock.js';
import { loadSettings, machine } from './settings.js';

/** The relay as ONAP's original publisher works: one message per request, one request at a time. */
const ONAP_LIKE = { batchMaxMessages: 1, maxInFlightRequests: 1, lingerMs: 0 };

const log = (msg: string): void =>
  void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<void> {
  const s = loadSettings();
  const m = machine();
  const loadStart = os.loadavg();
  const corpus = await buildCorpus();
  const filteredCorpus = await buildCorpus(FILTERED_SOURCES);
  const prefetch = Number(s.transportOverrides.prefetch ?? configSchema.transport.prefetch.default);
  const publish = Object.fromEntries(
    Object.entries(configSchema.publish).map(([k, v]) => [k, (s.publishOverrides[k] ?? v.default) as number]),
  );
  log(`${m.cores} cores (${m.cpu}), Node ${m.node}; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  log(
    `corpus: ${corpus.templates.length} fixture templates, mean body ${Math.round(corpus.meanBytes)} bytes, ${corpus.expectedPublished(corpus.cycle.length)} DMaaP messages per ${corpus.cycle.length} notifications`,
  );
  log(
    `filtered corpus: ${(filteredCorpus.filteredShare * 100).toFixed(0)}% of notifications match no subscription, ${filteredCorpus.expectedPublished(filteredCorpus.cycle.length)} DMaaP messages per ${filteredCorpus.cycle.length}`,
  );
  log(`relay: prefetch ${prefetch}, publish ${JSON.stringify(publish)}, node flags [${relayNodeFlags().join(' ')}]`);
  if (loadStart[0] > m.cores * 0.5)
    log(
      `the machine is busy (load ${loadStart[0].toFixed(2)} on ${m.cores} cores): figures will be noisy, ratios of the same run less so`,
    );
  const exchange = `nova-bench-${randomBytes(4).toString('hex')}`;
  await declareExchange(s.amqpUrl, exchange);
  const sink = await startSink();
  const mock = s.only.has('kafka') ? await MockKafka.start(3) : undefined;
  const ctx: Ctx = { s, corpus, sink, exchange };
  const c: Collected = {
    ceiling: [],
    yardstick: [],
    drain: [],
    filtered: [],
    kafka: [],
    breakdown: [],
    baseline: [],
    latency: [],
    limits: [],
  };
  const started = Date.now();
  try {
    for (let run = 1; run <= s.runs; run++) {
      if (s.only.has('ceiling')) {
        const x = await ceiling(ctx, s.drainMessages, prefetch);
        c.ceiling.push(x);
        log(
          `run ${run}: ceiling (fresh process, ack multiple/50) ${x.messages} in ${x.seconds.toFixed(2)} s = ${Math.round(x.rate)} msg/s, ${x.cpuUsPerMessage.toFixed(1)} CPU us/msg`,
        );
      }
      if (s.only.has('yardstick')) {
        const y = await yardstickDrain(ctx, s.drainMessages, prefetch);
        c.yardstick.push(y);
        log(
          `run ${run}: yardstick (minimal relay, fresh process) ${y.notifications} in ${y.seconds.toFixed(2)} s = ${Math.round(y.rate)} msg/s, ${(y.cpuPer10k * 100).toFixed(1)} CPU us/notification`,
        );
      }
      if (s.only.has('limits')) {
        const l = await limits(ctx, prefetch);
        c.limits.push(l);
        log(
          `run ${run}: limits: consume+ack ${Math.round(l.consumeAck)}/s, multiple ${Math.round(l.consumeAckMultiple)}/s, sink ${Math.round(l.sink.messagesPerSecond)} msg/s, dmaap-dev ${Math.round(l.dmaapDev.messagesPerSecond)} msg/s`,
        );
      }
      if (s.only.has('drain')) {
        const d = await drain(ctx, s.drainMessages, s.publishOverrides);
        c.drain.push(d);
        log(
          `run ${run}: drain ${d.notifications} in ${d.seconds.toFixed(2)} s = ${Math.round(d.rate)} msg/s, ${d.cpuPer10k.toFixed(2)} CPU s/10k, peak RSS ${d.peakRssMb.toFixed(0)} MB, duplicates ${d.duplicates}`,
        );
      }
      if (s.only.has('filtered')) {
        const d = await drain({ ...ctx, corpus: filteredCorpus }, s.drainMessages, s.publishOverrides);
        c.filtered.push(d);
        log(
          `run ${run}: filtered drain ${d.notifications} in ${d.seconds.toFixed(2)} s = ${Math.round(d.rate)} msg/s, ${(d.cpuPer10k * 100).toFixed(1)} CPU us/notification`,
        );
      }
      if (mock) {
        const d = await kafkaDrain(ctx, mock, s.drainMessages, s.publishOverrides);
        c.kafka.push(d);
        log(
          `run ${run}: kafka drain ${d.notifications} in ${d.seconds.toFixed(2)} s = ${Math.round(d.rate)} msg/s, ${(d.cpuPer10k * 100).toFixed(1)} CPU us/notification, peak RSS ${d.peakRssMb.toFixed(0)} MB, duplicates ${d.duplicates}`,
        );
      }
      if (s.only.has('breakdown')) {
        const b = await breakdown(sink.url);
        c.breakdown.push(b);
        log(
          `run ${run}: breakdown: pipeline ${b.pipelineUs.toFixed(1)} us (filtered corpus ${b.pipelineFilteredUs.toFixed(1)}), DMaaP publisher ${b.publisherUsPerMessage.toFixed(1)} us/message, ${b.retainedKbPerNotification.toFixed(2)} KB kept per waiting notification`,
        );
      }
      if (s.only.has('latency')) {
        const l = await latency(ctx);
        c.latency.push(l);
        for (const x of l)
          log(
            `run ${run}: latency @ ${x.rate}/s (achieved ${Math.round(x.achievedRate)}): p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)} p99.9 ${x.p999.toFixed(1)} max ${x.max.toFixed(1)} ms, relay CPU ${(x.relayCpu * 100).toFixed(0)}%, broker ${(x.brokerCpu * 100).toFixed(0)}%, machine ${(x.machineBusyShare * 100).toFixed(0)}% busy`,
          );
      }
      if (s.only.has('baseline')) {
        const b = await drain(ctx, s.baselineMessages, { ...s.publishOverrides, ...ONAP_LIKE });
        c.baseline.push(b);
        log(`run ${run}: baseline drain ${b.notifications} in ${b.seconds.toFixed(2)} s = ${Math.round(b.rate)} msg/s`);
      }
    }
  } finally {
    await mock?.stop();
    await sink.stop();
    await deleteExchange(s.amqpUrl, exchange);
  }
  const loadEnd = os.loadavg();
  const header = [
    `vim-event-relay bench: ${m.cores} cores (${m.cpu}), ${m.memGb} GB, Node ${m.node}, ${m.platform}`,
    `load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' ')}; ${s.runs} run(s) per figure, median shown; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    `relay: prefetch ${prefetch}, publish ${JSON.stringify(publish)}, node flags [${relayNodeFlags().join(' ')}]`,
  ];
  const out = [...header, '', table(c), '', ...ratios(c), '', ...targets(c)].join('\n');
  process.stdout.write(`${out}\n`);
  const file = writeJson(path.join(ROOT, 'bench/results'), {
    machine: m,
    loadStart,
    loadEnd,
    settings: { ...s, only: [...s.only] },
    relay: { prefetch, publish },
    results: c,
    table: out,
  });
  log(`wrote ${path.relative(ROOT, file)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
