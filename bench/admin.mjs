#!/usr/bin/env node
// npm run bench:admin — the admin port's speed while the daemon relays.
// Spawns dmaap-dev and the built daemon (a VIM on the local RabbitMQ, an auth token), feeds a
// steady stream of notifications, and loads GET /healthz at 1000 connections and an
// authenticated GET /api/v1/vims at 100 connections, 20,000 requests each (BENCH_ADMIN_REQUESTS),
// after a warm-up of 5,000 requests per route (BENCH_ADMIN_WARMUP; 0 for none).
//
// Load generators (BENCH_ADMIN_GENERATOR): `ab` (ApacheBench, C, from Debian's apache2-utils) and
// `autocannon` (JavaScript, in this process). The generator shares the machine's 2 cores with the
// daemon, RabbitMQ and dmaap-dev, and autocannon spends about three times ab's CPU per request;
// both are printed, with the daemon's own CPU per request (read from /proc), which does not
// depend on the generator. Default: both when `ab` is on the PATH, otherwise autocannon alone
// (with a note). The processes are started and measured
// by bench/procs.ts, as for `npm run bench` (compiled by the npm script first).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { cpuSeconds, freePort, ROOT, startDmaapDev, startRelay } from '../dist/bench/bench/procs.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REQUESTS = Number(process.env.BENCH_ADMIN_REQUESTS ?? 20000);
const RELAY_RATE = Number(process.env.BENCH_ADMIN_RELAY_RATE ?? 500); // notifications/s fed meanwhile
const TOKEN = 'bench-token';
const id = `bench-admin-${process.pid}`;

const dmaap = await startDmaapDev(await freePort());
// startRelay resolves once the VIM consumes: its exchange and queue are declared.
const daemon = await startRelay({
  admin: { host: '127.0.0.1', port: 0, authToken: TOKEN },
  dmaap: { url: dmaap.url },
  vims: [{ id, transportUrl: AMQP_URL.replace(/^amqp:/, 'rabbit:') + '/', exchange: id }],
  subscriptions: [{ id: `${id}-all`, vimId: id, states: ['*'], topic: 'BENCH_ADMIN' }],
});
const admin = daemon.adminUrl;

const conn = await amqp.connect(AMQP_URL);
const ch = await conn.createChannel();
const body = Buffer.from(
  JSON.stringify({
    event_type: 'compute.instance.power_off.end',
    priority: 'INFO',
    publisher_id: 'compute.h1',
    timestamp: '2026-11-22 00:00:00.000000',
    payload: { instance_id: 'i-1', state: 'stopped' },
  }),
);
let fed = 0;
const feeder = setInterval(() => {
  for (let i = 0; i < RELAY_RATE / 10; i++) {
    ch.publish(id, 'notifications.info', body, { contentType: 'application/json', deliveryMode: 2 });
    fed++;
  }
}, 100);

const HAS_AB = spawnSync('ab', ['-V'], { stdio: 'ignore' }).status === 0;
const GENERATORS = (process.env.BENCH_ADMIN_GENERATOR ?? (HAS_AB ? 'ab,autocannon' : 'autocannon')).split(',');
if (GENERATORS.includes('ab') && !HAS_AB) {
  console.error('BENCH_ADMIN_GENERATOR asks for ab, which is not on the PATH (apt-get install apache2-utils)');
  process.exit(2);
}

async function viaAutocannon(url, connections, headers) {
  const cpu = process.cpuUsage();
  // autocannon reports on its sampling tick, so `duration` is rounded up to the next tick: with
  // the default 1 s tick a run that took 1.2 s read 2.02 s and halved the rate. A 10 ms tick.
  const r = await autocannon({ url, connections, amount: REQUESTS, headers, timeout: 10, sampleInt: 10 });
  const used = process.cpuUsage(cpu);
  // requests.average is per sampling tick, not per second: use total / duration.
  return {
    requests: r.requests.total,
    seconds: r.duration,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    generatorCpuS: (used.user + used.system) / 1e6,
  };
}

// bash's `times` prints, on its second line, the user and system time of its finished children.
function childCpuSeconds(timesOutput) {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(timesOutput.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
}

// ab -k: HTTP/1.0 keep-alive, which Node honours. Its "Failed requests" counts connect, receive,
// length and exception failures; non-2xx answers are listed apart.
function viaAb(url, connections, headers) {
  const args = ['-k', '-q', '-s', '10', '-n', String(REQUESTS), '-c', String(connections)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const proc = spawn('bash', ['-c', 'ab "$@"; rc=$?; times >&2; exit $rc', 'ab', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let times = '';
    proc.stdout.on('data', (b) => (out += b));
    proc.stderr.on('data', (b) => (times += b));
    proc.on('exit', (code) => {
      out += times;
      const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
      if (code !== 0) return reject(new Error(`ab exited ${code}:\n${out}`));
      resolve({
        requests: num(/Complete requests:\s+(\d+)/),
        seconds: num(/Time taken for tests:\s+([\d.]+)/),
        errors: num(/Failed requests:\s+(\d+)/),
        timeouts: 0,
        non2xx: Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
        p50ms: num(/\s50%\s+(\d+)/),
        p99ms: num(/\s99%\s+(\d+)/),
        generatorCpuS: childCpuSeconds(times),
      });
    });
  });
}

async function run(generator, title, url, connections, headers = {}) {
  const before = cpuSeconds(daemon.proc.pid);
  const r =
    generator === 'ab' ? await viaAb(url, connections, headers) : await viaAutocannon(url, connections, headers);
  const daemonCpu = cpuSeconds(daemon.proc.pid) - before;
  return {
    generator,
    title,
    connections,
    ...r,
    rps: Math.round(r.requests / r.seconds),
    daemonCpuS: Number(daemonCpu.toFixed(2)),
    daemonCpuUsPerRequest: Math.round((daemonCpu * 1e6) / r.requests),
    generatorCpuUsPerRequest: Math.round((r.generatorCpuS * 1e6) / r.requests),
  };
}

// Warm-up, not recorded: a daemon that has run for months has its admin routes compiled by the
// JIT; the first few thousand requests of a cold one measure the compiler instead.
const WARMUP = Number(process.env.BENCH_ADMIN_WARMUP ?? 5000);
if (WARMUP > 0) {
  await autocannon({ url: `${admin}/healthz`, connections: 50, amount: WARMUP });
  await autocannon({
    url: `${admin}/api/v1/vims`,
    connections: 50,
    amount: WARMUP,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
}

const results = [];
for (const g of GENERATORS) {
  results.push(await run(g, 'GET /healthz', `${admin}/healthz`, 1000));
  results.push(
    await run(g, 'GET /api/v1/vims (bearer)', `${admin}/api/v1/vims`, 100, { authorization: `Bearer ${TOKEN}` }),
  );
}
clearInterval(feeder);
// The relay kept up if the queue is (nearly) empty: at most what arrived in the last moments.
await new Promise((r) => setTimeout(r, 1000));
const { messageCount: leftInQueue } = await ch.checkQueue(`vim-event-relay.${id}`);
await daemon.stop();
await dmaap.stop();
await ch.deleteQueue(`vim-event-relay.${id}`);
await ch.deleteQueue(`vim-event-relay.${id}.dead`);
await ch.deleteExchange(id);
await conn.close();

const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version };
console.log(
  `\nadmin port, while relaying ~${RELAY_RATE} notifications/s (${fed} fed, ${leftInQueue} left in the queue 1 s after); ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`,
);
console.log(
  '| generator | route | connections | requests | req/s | errors | timeouts | non-2xx | p50 ms | p99 ms | daemon CPU µs/req | generator CPU µs/req |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.generator} | ${r.title} | ${r.connections} | ${r.requests} | ${r.rps} | ${r.errors} | ${r.timeouts} | ${r.non2xx} | ${r.p50ms} | ${r.p99ms} | ${r.daemonCpuUsPerRequest} | ${r.generatorCpuUsPerRequest} |`,
  );
console.log(
  "(daemon CPU includes relaying the feed meanwhile; autocannon's includes the feeder, which shares its process; all share the same 2 cores with RabbitMQ)",
);
if (!HAS_AB)
  console.log(
    "note: ab (apt-get install apache2-utils) is not on the PATH; autocannon spends about three times ab's CPU per request, on the same cores as the daemon",
  );
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const out = path.join(ROOT, `bench/results/admin-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ machine, relayRate: RELAY_RATE, fed, leftInQueue, results }, null, 2));
console.log(`written ${path.relative(ROOT, out)}`);
process.exit(0);
