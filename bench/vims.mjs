#!/usr/bin/env node
// npm run bench:vims — many VIMs: how long until all are REACHABLE, what each costs at rest, and
// the admin API's speed with them registered. Each VIM has its own connection, exchange and
// classic queue on the local RabbitMQ: its own vhost too with BENCH_VIMS_VHOSTS=1 (created with
// one `rabbitmqctl eval`, deleted at the end), but every vhost costs the broker two message-store
// files, and a broker at the usual 1,024 open files cannot hold 500 vhosts and 500 connections.
// Scenarios (BENCH_VIMS_COUNTS, default
// 1,100,200,500): N healthy VIMs; then 200 healthy VIMs with 10 silent ones among them (a loopback
// TCP server that accepts and never answers, as a broker behind a dead firewall does). Target:
// 200 VIMs all REACHABLE within 5 s of start, with or without the silent ones.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { cpuSeconds, startRelay } from '../dist/bench/bench/procs.js';

const COUNTS = (process.env.BENCH_VIMS_COUNTS ?? '1,100,200,500').split(',').map(Number);
const SILENT = Number(process.env.BENCH_VIMS_SILENT ?? 10);
const WITH_SILENT = Number(process.env.BENCH_VIMS_WITH_SILENT ?? 200);
const IDLE_SECONDS = Number(process.env.BENCH_VIMS_IDLE_SECONDS ?? 10);
const prefix = `vb-${process.pid}`;
const VHOSTS = process.env.BENCH_VIMS_VHOSTS === '1';

/** Each VIM's queue, dead-letter queue and exchange on the default vhost. */
async function deleteQueues(n) {
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch = await conn.createChannel();
  for (let i = 0; i < n; i++) {
    await ch.deleteQueue(`vim-event-relay.${prefix}-${i}`);
    await ch.deleteQueue(`vim-event-relay.${prefix}-${i}.dead`);
    await ch.deleteExchange(`nova-${prefix}-${i}`);
  }
  await conn.close();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rabbitEval(expr) {
  execFileSync('rabbitmqctl', ['eval', expr], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
}
function addVhosts(n) {
  rabbitEval(
    `[begin V = list_to_binary("${prefix}-" ++ integer_to_list(I)), rabbit_vhost:add(V, <<"bench">>), ` +
      `rabbit_auth_backend_internal:set_permissions(<<"guest">>, V, <<".*">>, <<".*">>, <<".*">>, <<"bench">>) end || I <- lists:seq(0,${n - 1})], ok.`,
  );
}
function deleteVhosts(n) {
  rabbitEval(
    `[rabbit_vhost:delete(list_to_binary("${prefix}-" ++ integer_to_list(I)), <<"bench">>) || I <- lists:seq(0,${n - 1})], ok.`,
  );
}
const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function connectedCount(adminUrl) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return (text.match(/^vim_event_relay_vim_connected\{[^}]*\} 1$/gm) ?? []).length;
}

async function silentBroker() {
  const sockets = new Set();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function scenario(name, healthy, silentPort) {
  const vims = Array.from({ length: healthy }, (_, i) => ({
    id: `${prefix}-${i}`,
    transportUrl: `rabbit://guest:guest@127.0.0.1:5672/${VHOSTS ? `${prefix}-${i}` : ''}`,
    exchange: `nova-${prefix}-${i}`,
    queueType: 'classic',
  }));
  if (silentPort)
    for (let i = 0; i < SILENT; i++)
      vims.push({ id: `${prefix}-silent-${i}`, transportUrl: `rabbit://guest:guest@127.0.0.1:${silentPort}/` });
  const relay = await startRelay({ vims, log: { level: 'info', format: 'json' } });
  let allAt;
  for (;;) {
    if ((await connectedCount(relay.adminUrl)) >= healthy) {
      allAt = Date.now();
      break;
    }
    if (Date.now() - relay.spawnedAt > 120_000) throw new Error(`${name}: not all REACHABLE after 120 s`);
    await sleep(50);
  }
  const row = { scenario: name, vims: vims.length, allReachableS: (allAt - relay.spawnedAt) / 1000 };
  await sleep(1000);
  const cpu0 = cpuSeconds(relay.proc.pid);
  await sleep(IDLE_SECONDS * 1000);
  const idle = (cpuSeconds(relay.proc.pid) - cpu0) / IDLE_SECONDS;
  row.rssMb = rssMb(relay.proc.pid);
  row.rssKbPerVim = Math.round((row.rssMb * 1024) / vims.length);
  row.idleCpuPct = idle * 100;
  if (vims.length >= 100) {
    const r = await autocannon({ url: `${relay.adminUrl}/api/v1/vims`, connections: 10, duration: 3, sampleInt: 10 });
    row.getVimsReqS = Math.round(r.requests.total / (r.duration || 3));
    row.getVimsP99Ms = r.latency.p99;
  }
  await relay.stop();
  return row;
}

const rows = [];
const maxVims = Math.max(...COUNTS, WITH_SILENT);
if (VHOSTS) {
  console.log(`creating ${maxVims} vhosts on the local RabbitMQ...`);
  addVhosts(maxVims);
}
const silent = await silentBroker();
try {
  for (const n of COUNTS) rows.push(await scenario(`${n} healthy`, n));
  rows.push(await scenario(`${WITH_SILENT} healthy + ${SILENT} silent`, WITH_SILENT, silent.port));
} finally {
  silent.close();
  if (VHOSTS) deleteVhosts(maxVims);
  else await deleteQueues(maxVims);
}
console.log(
  `\nmachine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`,
);
console.table(rows.map((r) => ({ ...r, idleCpuPct: r.idleCpuPct.toFixed(2), rssMb: r.rssMb.toFixed(1) })));
const target = rows.filter((r) => r.vims >= 200 && r.scenario.includes('healthy'));
for (const r of target)
  console.log(
    `${r.scenario}: all REACHABLE in ${r.allReachableS.toFixed(2)} s (target <= 5 s: ${r.allReachableS <= 5 ? 'met' : 'NOT met'})`,
  );
