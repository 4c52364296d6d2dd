/**
 * SIGTERM of the built daemon mid-stream: readiness 503 at once while the admin port keeps
 * answering, consuming stops, what is in flight finishes (or, past shutdown.timeoutMs, goes
 * back to the broker), exit 0; a second signal exits at once; a broker that stopped answering
 * cannot hold the exit. Each test restarts the daemon and counts: none may be missing.
 */
import { jest } from '@jest/globals';
import { rabbitUrl } from '../helpers/amqp.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { ids, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const PREFETCH = 50;
let fault: FaultServer;
const relays: RelayUnderTest[] = [];

beforeAll(async () => {
  fault = await startFaultServer();
});

afterEach(async () => {
  fault.fallback = { kind: 'accept' };
  for (const r of relays.splice(0)) await r.cleanup();
});

afterAll(async () => {
  await fault?.close();
});

async function relayWith(
  config: Record<string, Record<string, unknown>>,
  transportUrl?: string,
): Promise<RelayUnderTest> {
  const r = new RelayUnderTest({
    dmaapUrl: fault.url,
    transportUrl,
    config: { transport: { prefetch: PREFETCH }, ...config },
  });
  relays.push(r);
  await r.start();
  return r;
}

function gate(): { until: Promise<void>; open: () => void } {
  let open!: () => void;
  const until = new Promise<void>((resolve) => (open = resolve));
  return { until, open };
}

const held = (r: RelayUnderTest) =>
  waitFor(async () => (await r.inFlight()) === PREFETCH, `${PREFETCH} deliveries in flight`, 20000);
const messages = (r: RelayUnderTest) => r.daemon.lines.map((l) => l.message);

/** Restarts the daemon with DMaaP accepting and waits until every id arrived. */
async function restartAndCount(r: RelayUnderTest, sent: readonly string[]) {
  fault.fallback = { kind: 'accept' };
  await r.spawn();
  await waitFor(
    () => tally(sent, fault.accepted(r.topic)).missing.length === 0,
    'every notification accepted after the restart',
    60000,
    200,
  );
  await r.untilDrained();
  return tally(sent, fault.accepted(r.topic));
}

test('SIGTERM mid-stream: readiness 503 at once while the admin port answers, consuming stops, in-flight finishes, exit 0; the rest follows after a restart, no duplicates', async () => {
  // dmaap.timeoutMs above the time DMaaP is held: a request abandoned by the client but accepted
  // by the server would be resent, a duplicate this test is not about.
  const r = await relayWith({ shutdown: { timeoutMs: 30000 }, dmaap: { timeoutMs: 30000 } });
  const dmaap = gate();
  fault.fallback = { kind: 'accept', until: dmaap.until };
  const sent = ids('term', 500);
  await r.publish(sent);
  await held(r);
  r.daemon.signal('SIGTERM');

  const ready = await waitFor(async () => {
    const x = await r.get('/readyz');
    return x.status === 503 ? x : undefined;
  }, 'readyz 503 once shutdown started');
  expect(ready.body.reasons).toContain('shutting down');
  expect((await r.get('/healthz')).status).toBe(200);
  // Not consuming any more, but still holding (not requeueing) what it is finishing.
  // The broker's consumer list, not the queue's count: a quorum queue counts a cancelled consumer
  // until its deliveries are settled.
  await waitFor(async () => (await queueCounts(r.queue))?.consumers === 0, 'the consumer cancelled', 20000, 100);
  expect(await r.inFlight()).toBe(PREFETCH);
  expect(r.daemon.proc.exitCode).toBeNull();

  dmaap.open();
  expect(await r.daemon.exited).toBe(0);
  expect(messages(r)).toContain('stopped');
  expect(messages(r).some((m) => m.includes('shutdown deadline reached'))).toBe(false);
  const afterStop = tally(sent, fault.accepted(r.topic)).delivered;
  expect(await queueCounts(r.queue)).toMatchObject({ unacked: 0, ready: sent.length - afterStop, consumers: 0 });

  const t = await restartAndCount(r, sent);
  report('SIGTERM mid-stream (DMaaP answers during the drain) + restart', t, `${afterStop} before the exit`);
  expect(t.missing).toEqual([]);
  expect(t.duplicates).toBe(0);
});

test('SIGTERM with DMaaP hanging past shutdown.timeoutMs: requeues what is in flight, exits 0; nothing lost after a restart', async () => {
  const r = await relayWith({ shutdown: { timeoutMs: 1500 }, dmaap: { timeoutMs: 30000 } });
  fault.fallback = { kind: 'hang' };
  const sent = ids('term-late', 200);
  await r.publish(sent);
  await held(r);
  r.daemon.signal('SIGTERM');
  expect(await r.daemon.exited).toBe(0);
  const deadline = r.daemon.lines.find((l) => String(l.message).startsWith('shutdown deadline reached'));
  expect(deadline).toMatchObject({ requeued: PREFETCH });
  // Every one of them back in the queue (so none is unacked).
  expect(await queueState(r.queue)).toEqual({ ready: sent.length, consumers: 0 });

  const t = await restartAndCount(r, sent);
  report('SIGTERM, DMaaP hanging past shutdown.timeoutMs 1500 + restart', t);
  expect(t.missing).toEqual([]);
  expect(t.duplicates).toBe(0);
});

test('a second signal exits at once (128+15) in the middle of a long drain; the broker redelivers; nothing lost after a restart', async () => {
  const r = await relayWith({ shutdown: { timeoutMs: 60000 }, dmaap: { timeoutMs: 60000 } });
  fault.fallback = { kind: 'hang' };
  const sent = ids('term-twice', 150);
  await r.publish(sent);
  await held(r);
  r.daemon.signal('SIGTERM');
  await waitFor(async () => (await r.get('/readyz')).status === 503, 'readyz 503 once shutdown started');
  r.daemon.signal('SIGTERM');
  expect(await r.daemon.exited).toBe(143);
  expect(messages(r).some((m) => m.startsWith('second signal'))).toBe(true);
  expect(messages(r)).not.toContain('stopped');
  await waitFor(
    async () => (await queueState(r.queue)).ready === sent.length,
    'every notification back in the queue',
    20000,
    100,
  );

  const t = await restartAndCount(r, sent);
  report('SIGTERM twice (exit at once) + restart', t);
  expect(t.missing).toEqual([]);
});

test('SIGTERM while the broker stopped answering (frozen connection, heartbeats off): the exit is not held; nothing lost after a restart', async () => {
  const proxy = await startTcpProxy(5672);
  try {
    const r = await relayWith(
      { shutdown: { timeoutMs: 1000 }, dmaap: { timeoutMs: 30000 } },
      `${rabbitUrl(`127.0.0.1:${proxy.port}`)}?heartbeat_timeout_threshold=0`,
    );
    const dmaap = gate();
    fault.fallback = { kind: 'accept', until: dmaap.until };
    const sent = ids('term-frozen', 200);
    await r.publish(sent);
    await held(r);
    // The broker no longer reads our socket (a connection.blocked broker does the same), so
    // neither basic.cancel, nor the acks, nor channel.close get an answer.
    proxy.freezeAll();
    dmaap.open();
    r.daemon.signal('SIGTERM');
    expect(await r.daemon.exited).toBe(0);
    expect(messages(r).some((m) => /did not (confirm the consumer cancel|close in time)/.test(m))).toBe(true);
    proxy.cutAll(); // the broker sees the connection go and requeues what it never saw acked

    const t = await restartAndCount(r, sent);
    report('SIGTERM with a frozen broker connection + restart', t);
    expect(t.missing).toEqual([]);
    // Acks written into the frozen socket never arrived: those are redelivered, at most the prefetch.
    expect(t.duplicates).toBeLessThanOrEqual(PREFETCH);
  } finally {
    await proxy.close();
  }
});
