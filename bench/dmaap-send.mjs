#!/usr/bin/env node
/**
 * Benchmark (not a test; ~30 s): the DMaaP publisher's per-record path alone, the one every
 * notification's record takes. DmaapPublisher.send() over two topics with a client that accepts
 * every batch at once (no HTTP, no broker), in rounds of ROUND records sent CHUNK at a time.
 * Prints the median ns per send and the scavenges (new-space GCs) per million sends: with a fixed
 * semi-space, the second counts what the path allocates and keeps alive until a record settles.
 *
 *   npm run build && node --max-semi-space-size=8 --min-semi-space-size=8 bench/dmaap-send.mjs
 *   DIST=/other/build/dist node ... bench/dmaap-send.mjs     (another build, for an A/B)
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const DIST = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const ROUND = Number(process.env.ROUND ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const CHUNK = Number(process.env.CHUNK ?? 2000);

const { DmaapPublisher } = await import(pathToFileURL(`${DIST}/publish/dmaap/publisher.js`).href);
const accepted = { status: 200, headers: {}, body: '', durationMs: 0 };
const client = { postBatch: () => Promise.resolve(accepted), close() {} };
// A VM message's shape and about its size is beside the point here; the path does not parse it.
const json = JSON.stringify({ event_type: 'compute.instance.update', instance_id: 'x'.repeat(36), state: 'active' });

let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
}).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function round(n) {
  const pub = new DmaapPublisher({ url: 'http://127.0.0.1:1', lingerMs: 1, maxPending: 10_000_000 }, undefined, client);
  await settle();
  const before = scavenges;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += CHUNK) {
    const sends = [];
    for (let j = 0; j < CHUNK; j++) sends.push(pub.send({ topic: j % 2 ? 'A' : 'B', json }));
    await Promise.all(sends);
  }
  const ns = Number(process.hrtime.bigint() - started) / n;
  await pub.close(0);
  await settle();
  return { ns, scavengesPerMillion: ((scavenges - before) * 1e6) / n };
}

await round(Math.min(ROUND, 200_000)); // warm-up
const rounds = [];
for (let r = 0; r < ROUNDS; r++) rounds.push(await round(ROUND));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    dist: DIST,
    semiSpace: process.execArgv.filter((a) => a.includes('semi-space')).join(' ') || 'default',
    nsPerSend: Math.round(median(rounds.map((r) => r.ns))),
    scavengesPerMillionSends: Math.round(median(rounds.map((r) => r.scavengesPerMillion))),
    rounds: rounds.map((r) => Math.round(r.ns)),
  }),
);
