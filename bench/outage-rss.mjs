#!/usr/bin/env node
/**
 * Benchmark (not a test; it takes 80+ s): the built daemon's resident memory during a DMaaP
 * outage under steady traffic. nova-shaped notifications (messagingv2, ~1.9 KB) go to the
 * local RabbitMQ at RATE msg/s for WARMUP s with DMaaP answering, OUTAGE s with DMaaP answering
 * 503, and RECOVERY s with DMaaP back; then the backlog drains. The daemon runs with its
 * default tuning (prefetch 500, retries 250 ms..30 s). /proc/<pid>/status VmRSS is sampled
 * every 250 ms. Prints the RSS figures and the count sent (broker-confirmed) / delivered.
 *
 *   npm run bench:outage            (builds first; RATE, OUTAGE, WARMUP, RECOVERY env overrides)
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672 node bench/outage-rss.mjs
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { connect } from 'amqplib';
import { ROOT, startRelay } from '../dist/bench/bench/procs.js';

const RATE = Number(process.env.RATE ?? 1000);
const OUTAGE_S = Number(process.env.OUTAGE ?? 60);
const WARMUP_S = Number(process.env.WARMUP ?? 10);
const RECOVERY_S = Number(process.env.RECOVERY ?? 10);
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const tag = randomBytes(4).toString('hex');
const vimId = `bench-${tag}`;
const exchange = `nova-bench-${tag}`;
const queue = `vim-event-relay.${vimId}`;
const topic = `BENCH_${tag}`;

/** A DMaaP stand-in: 503 while `down`, else 200 and the message_ids are counted. */
function startDmaap() {
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
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ state, server, url: `http://127.0.0.1:${server.address().port}` })),
  );
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  const dmaap = await startDmaap();
  const model = await connect(AMQP_URL);
  const ch = await model.createConfirmChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  // Resolves once the VIM consumes (REACHABLE).
  const daemon = await startRelay({
    dmaap: { url: dmaap.url },
    vims: [{ id: vimId, transportUrl: AMQP_URL.replace(/^amqp:/, 'rabbit:'), exchange, exchangeDurable: true }],
    subscriptions: [{ id: `${vimId}-all`, vimId, states: ['*'], topic }],
  });
  const { adminUrl } = daemon;
  const sample = JSON.parse(
    readFileSync(path.join(ROOT, 'test/fixtures/oslo-wire/sample-wire-legacy-messagingv2.json'), 'utf8'),
  ).body;
  const inner = JSON.parse(sample['oslo.message']);
  const body = (id) =>
    Buffer.from(
      JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ ...inner, message_id: id }) }),
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
    `bench: ${RATE} msg/s for ${WARMUP_S} s (DMaaP up), ${OUTAGE_S} s (DMaaP 503), ${RECOVERY_S} s (DMaaP back); daemon pid ${daemon.proc.pid}, default tuning`,
  );
  let outageSnapshot;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    if (due - Date.now() > 2) await sleep(due - Date.now());
    const now = Date.now();
    if (phase === 'warmup' && now >= phaseAt(WARMUP_S)) {
      phase = 'outage';
      dmaap.state.down = true;
    } else if (phase === 'outage' && now >= phaseAt(WARMUP_S + OUTAGE_S)) {
      outageSnapshot = {
        inFlight: await inFlight(adminUrl),
        queued: (await ch.checkQueue(queue)).messageCount,
        refused: dmaap.state.refused,
      };
      phase = 'recovery';
      dmaap.state.down = false;
    }
    const id = `bench-${tag}-${i}`;
    sent.push(id);
    ch.publish(
      exchange,
      'notifications.info',
      body(id),
      { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 },
      (err) => (err ? nacked++ : confirmed++),
    );
  }
  await ch.waitForConfirms();
  const publishedIn = (Date.now() - started) / 1000;
  phase = 'drain';
  const drainStarted = Date.now();
  while (dmaap.state.delivered.size < sent.length && Date.now() - drainStarted < 300000) await sleep(250);
  const drainS = (Date.now() - drainStarted) / 1000;
  clearInterval(sampler);

  const of = (p) => samples.filter((s) => s.phase === p).map((s) => s.kb);
  const max = (xs) => Math.max(...xs);
  const outage = of('outage');
  const missing = sent.filter((id) => !dmaap.state.delivered.has(id)).length;
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
      `at the end of the outage: ${outageSnapshot.inFlight} in flight in the daemon, ${outageSnapshot.queued} waiting in the broker, ${outageSnapshot.refused} requests refused with 503`,
    );
  console.log(
    `sent ${sent.length} (broker-confirmed ${confirmed}, nacked ${nacked}) in ${publishedIn.toFixed(1)} s; delivered ${dmaap.state.delivered.size} distinct (${dmaap.state.accepted} accepted in all), missing ${missing}; backlog drained in ${drainS.toFixed(1)} s after publishing stopped`,
  );

  await daemon.stop();
  for (const q of [queue, `${queue}.dead`]) await ch.deleteQueue(q);
  await ch.deleteExchange(exchange);
  await model.close();
  dmaap.server.close();
  process.exitCode = missing === 0 ? 0 : 1;
}

async function inFlight(adminUrl) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = new RegExp(`^vim_event_relay_in_flight\\{vim="${vimId}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
