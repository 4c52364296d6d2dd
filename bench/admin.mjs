#!/usr/bin/env node
// npm run bench:admin — the admin port's speed while the daemon relays.
// Spawns dmaap-dev and the built daemon (a VIM on the local RabbitMQ, an auth token), feeds a
// steady stream of notifications, and runs autocannon: GET /healthz at 1000 connections and an
// authenticated GET /api/v1/vims at 100 connections, 20,000 requests each (BENCH_ADMIN_REQUESTS).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import autocannon from 'autocannon';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'dist/main.js');
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REQUESTS = Number(process.env.BENCH_ADMIN_REQUESTS ?? 20000);
const RELAY_RATE = Number(process.env.BENCH_ADMIN_RELAY_RATE ?? 500); // notifications/s fed meanwhile
const TOKEN = 'bench-token';
const id = `bench-admin-${process.pid}`;

function start(args, onLine) {
  const proc = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const take = (b) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop();
    lines.forEach(onLine);
  };
  proc.stdout.on('data', take);
  proc.stderr.on('data', take);
  return proc;
}

function waitLine(args, match) {
  return new Promise((resolve, reject) => {
    const proc = start(args, (l) => {
      const m = match(l);
      if (m) resolve({ proc, value: m });
    });
    proc.on('exit', (c) => reject(new Error(`${args[0]} exited ${c}`)));
  });
}

const dmaap = await waitLine(['dmaap-dev', '--port', '0'], (l) => /listening on (\S+)/.exec(l)?.[1]);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-admin-'));
const config = path.join(dir, 'config.json');
writeFileSync(config, JSON.stringify({
  admin: { host: '127.0.0.1', port: 0, authToken: TOKEN },
  dmaap: { url: dmaap.value },
  store: { path: path.join(dir, 'state.json') },
  log: { format: 'json', level: 'info' },
  vims: [{ id, transportUrl: AMQP_URL.replace(/^amqp:/, 'rabbit:') + '/', exchange: id }],
  subscriptions: [{ id: `${id}-all`, vimId: id, states: ['*'], topic: 'BENCH_ADMIN' }],
}));
const daemon = await waitLine(['run', '--config', config], (l) => {
  try {
    const j = JSON.parse(l);
    return j.message === 'admin port listening' ? j.url : undefined;
  } catch {
    return undefined;
  }
});
const admin = daemon.value;

const conn = await amqp.connect(AMQP_URL);
const ch = await conn.createChannel();
const body = Buffer.from(JSON.stringify({ event_type: 'compute.instance.power_off.end', priority: 'INFO', publisher_id: 'compute.h1', timestamp: '2026-11-22 00:00:00.000000', payload: { instance_id: 'i-1', state: 'stopped' } }));
let fed = 0;
const feeder = setInterval(() => {
  for (let i = 0; i < RELAY_RATE / 10; i++) {
    ch.publish(id, 'notifications.info', body, { contentType: 'application/json', deliveryMode: 2 });
    fed++;
  }
}, 100);

async function run(title, url, connections, headers = {}) {
  const r = await autocannon({ url, connections, amount: REQUESTS, headers, timeout: 10 });
  return {
    // requests.average is per whole second (20,000 in 3 s reads 6,667): use total / duration.
    title, connections, requests: r.requests.total, rps: Math.round(r.requests.total / r.duration),
    errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, p50ms: r.latency.p50, p99ms: r.latency.p99,
  };
}

const results = [
  await run('GET /healthz', `${admin}/healthz`, 1000),
  await run('GET /api/v1/vims (bearer)', `${admin}/api/v1/vims`, 100, { authorization: `Bearer ${TOKEN}` }),
];
clearInterval(feeder);
await conn.close();
daemon.proc.kill('SIGTERM');
dmaap.proc.kill('SIGTERM');

const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version };
console.log(`\nadmin port, while relaying ~${RELAY_RATE} notifications/s (${fed} fed); ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`);
console.log('| route | connections | requests | req/s | errors | timeouts | non-2xx | p50 ms | p99 ms |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.title} | ${r.connections} | ${r.requests} | ${r.rps} | ${r.errors} | ${r.timeouts} | ${r.non2xx} | ${r.p50ms} | ${r.p99ms} |`);
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const out = path.join(ROOT, `bench/results/admin-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ machine, relayRate: RELAY_RATE, fed, results }, null, 2));
console.log(`written ${path.relative(ROOT, out)}`);
process.exit(0);
