/**
 * Broker-side faults against the built daemon, through TCP proxies in front of the local
 * RabbitMQ: a cut connection (with reconnects refused for a while), failover to the next host of
 * the transport_url, and a connection that goes silent (detected by the heartbeat configured in
 * the URL). Readiness and the VIM status must follow; nothing may be lost, and while the daemon
 * lives the broker's redeliveries must not be published twice.
 */
import { jest } from '@jest/globals';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { ids, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

let fault: FaultServer;
const relays: RelayUnderTest[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  fault = await startFaultServer();
});

afterEach(async () => {
  fault.fallback = { kind: 'accept' };
  for (const r of relays.splice(0)) await r.cleanup();
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(async () => {
  await fault?.close();
});

async function proxy(): Promise<TcpProxy> {
  const p = await startTcpProxy(5672);
  proxies.push(p);
  return p;
}

async function relayVia(transportUrl: string): Promise<RelayUnderTest> {
  const r = new RelayUnderTest({ dmaapUrl: fault.url, transportUrl, config: { dmaap: { timeoutMs: 30000 } } });
  relays.push(r);
  await r.start();
  return r;
}

const url = (...ports: number[]) => `rabbit://${ports.map((p) => `guest:guest@127.0.0.1:${p}`).join(',')}/`;

async function everyOneArrives(r: RelayUnderTest, sent: readonly string[]) {
  await waitFor(
    () => tally(sent, fault.accepted(r.topic)).missing.length === 0,
    `all ${sent.length} notifications accepted`,
    60000,
    100,
  );
  await r.untilDrained();
  return tally(sent, fault.accepted(r.topic));
}

test('connection cut with deliveries in flight and reconnects refused for a while: UNREACHABLE and readyz 503, then REACHABLE; redeliveries are not published twice', async () => {
  const p = await proxy();
  const r = await relayVia(url(p.port));
  let open!: () => void;
  fault.fallback = { kind: 'accept', until: new Promise<void>((resolve) => (open = resolve)) };
  const sent = ids('cut', 300);
  await r.publish(sent);
  await waitFor(async () => (await r.inFlight()) === 50, 'a full prefetch in flight, held by DMaaP');

  p.pause();
  p.cutAll();
  await waitFor(async () => (await r.vimStatus()) === 'UNREACHABLE', 'the VIM UNREACHABLE');
  const ready = await r.get('/readyz?strict=1');
  expect(ready.status).toBe(503);
  expect(ready.body.reasons.join('\n')).toContain(`vim ${r.vimId}: UNREACHABLE`);
  expect(await r.metric('vim_event_relay_vim_connected', { vim: r.vimId })).toBe(0);

  p.resume();
  await waitFor(async () => (await r.vimStatus()) === 'REACHABLE', 'the VIM REACHABLE again', 20000);
  // The broker redelivers the 50 while our first copies still wait for DMaaP: they wait too.
  await waitFor(async () => (await r.inFlight()) >= 100, 'the redeliveries taken while the first copies are held');
  open();
  const t = await everyOneArrives(r, sent);
  report('broker connection cut mid-flight (reconnects refused, then allowed)', t);
  expect(t.missing).toEqual([]);
  expect(t.duplicates).toBe(0);
  expect(await r.metric('vim_event_relay_duplicates_suppressed_total', { vim: r.vimId })).toBeGreaterThanOrEqual(50);
  expect((await r.get('/readyz?strict=1')).status).toBe(200);
});

test('failover: losing the first host of the transport_url moves to the next one under steady traffic, nothing lost', async () => {
  const [a, b] = [await proxy(), await proxy()];
  const r = await relayVia(url(a.port, b.port));
  const consumingOn = () => r.daemon.lines.filter((l) => l.message === 'consuming').map((l) => String(l.host));
  expect(consumingOn()).toEqual([`127.0.0.1:${a.port}`]);
  const sent = ids('failover', 600);
  const sending = r.publishSteadily(sent, 150);
  await waitFor(() => fault.accepted(r.topic).length >= 150, 'traffic flowing through the first host');
  a.pause(); // the first host is down for good
  a.cutAll();
  await waitFor(() => consumingOn().length === 2, 'consuming again');
  expect(consumingOn()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
  expect(await sending).toHaveLength(sent.length);
  const t = await everyOneArrives(r, sent);
  report('failover to the second transport_url host', t);
  expect(t.missing).toEqual([]);
  expect(t.duplicates).toBe(0);
});

test('a connection gone silent is detected by the heartbeat of ?heartbeat_timeout_threshold= and replaced; nothing lost', async () => {
  const p = await proxy();
  const r = await relayVia(`${url(p.port)}?heartbeat_timeout_threshold=2`);
  const first = ids('silent-a', 100);
  await r.publish(first);
  await waitFor(() => tally(first, fault.accepted(r.topic)).missing.length === 0, 'the first notifications');
  let open!: () => void;
  fault.fallback = { kind: 'accept', until: new Promise<void>((resolve) => (open = resolve)) };
  const second = ids('silent-b', 100);
  await r.publish(second);
  await waitFor(async () => (await r.inFlight()) === 50, 'deliveries in flight');
  p.freezeAll(); // nothing passes any more, and nothing is closed: only heartbeats can tell
  open();
  await waitFor(
    () =>
      r.daemon.lines.some((l) => l.message === 'connection lost; reconnecting' && /heartbeat/i.test(String(l.reason))),
    'the heartbeat timeout',
    20000,
  );
  await waitFor(async () => (await r.vimStatus()) === 'REACHABLE', 'the VIM REACHABLE on a new connection', 20000);
  const sent = [...first, ...second];
  const t = await everyOneArrives(r, sent);
  report('broker connection gone silent (heartbeat 2 s)', t);
  expect(t.missing).toEqual([]);
  expect(t.duplicates).toBe(0);
});
