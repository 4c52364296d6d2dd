/**
 * DMaaP faults against the built daemon: a 10-second 503 outage under steady traffic (what
 * cost ceilometer 20% of its events), 429 with Retry-After, reset connections, requests left
 * hanging past dmaap.timeoutMs, and the opt-in retry limit (publish.maxRetryMs). Each test
 * counts what was sent and what Message Router accepted; none may be missing.
 */
import { jest } from '@jest/globals';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { ids, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { withChannel } from '../helpers/amqp.js';

jest.setTimeout(120000);

let fault: FaultServer;
let relay: RelayUnderTest;
const PREFETCH = 50;

beforeAll(async () => {
  fault = await startFaultServer();
  relay = new RelayUnderTest({ dmaapUrl: fault.url, config: { transport: { prefetch: PREFETCH } } });
  await relay.start();
});

afterAll(async () => {
  await relay?.cleanup();
  await fault?.close();
});

afterEach(() => {
  fault.fallback = { kind: 'accept' };
});

async function allArrive(sent: readonly string[], timeoutMs = 60000): Promise<ReturnType<typeof tally>> {
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    `all ${sent.length} notifications accepted by DMaaP`,
    timeoutMs,
    200,
  );
  return tally(sent, fault.accepted(relay.topic));
}

test('a 10-second 503 outage under steady traffic: deliveries stay unacked up to the prefetch, readiness says DMaaP is down, then the backlog drains with nothing lost', async () => {
  const sent = ids('outage', 1500);
  const before = fault.accepted(relay.topic).length;
  const sending = relay.publishSteadily(sent, 100);
  await waitFor(() => fault.accepted(relay.topic).length - before >= 100, 'traffic flowing before the outage', 20000);

  fault.fallback = {
    kind: 'respond',
    status: 503,
    headers: { 'Content-Type': 'text/html' },
    body: '<h1>503 Service Unavailable</h1>',
  };
  const outageStarted = Date.now();
  const retriesBefore = await relay.metric('vim_event_relay_publish_retries_total');
  // In flight exactly up to the prefetch bound; the rest waits in the broker.
  await waitFor(async () => (await relay.inFlight()) === PREFETCH, `${PREFETCH} deliveries in flight`, 15000);
  expect(await queueCounts(relay.queue)).toMatchObject({ unacked: PREFETCH });
  const ready = await waitFor(async () => {
    const r = await relay.get('/readyz?strict=1');
    return r.status === 503 ? r : undefined;
  }, 'readyz 503 while DMaaP answers 503');
  expect(ready.body.reasons.join('\n')).toMatch(/dmaap: failing since \S+ \(T_\S+: HTTP 503/);
  await sleep(Math.max(0, 10000 - (Date.now() - outageStarted)));
  // Still held, still retried: nothing given up, nothing acked.
  expect(await queueCounts(relay.queue)).toMatchObject({ unacked: PREFETCH });
  expect(await relay.metric('vim_event_relay_publish_retries_total')).toBeGreaterThan(retriesBefore);

  fault.fallback = { kind: 'accept' };
  expect(await sending).toHaveLength(sent.length); // the broker confirmed every publish
  const t = await allArrive(sent);
  report('DMaaP 503 for 10 s at 100 msg/s', t);
  expect(t.missing).toEqual([]);
  expect(t.foreign).toEqual([]);
  await relay.untilDrained();
  await waitFor(
    async () => (await relay.get('/readyz?strict=1')).status === 200,
    'readyz 200 once DMaaP accepts again',
  );
  // The log tells the outage: its start at warn (with the status), summaries while it lasts, its end with its length.
  const logged = relay.daemon.lines.filter((l) => l.destination === 'dmaap');
  const first = logged.find((l) => l.message === 'dmaap failing; records are kept and retried');
  expect(first).toMatchObject({
    level: 'warn',
    reason: expect.stringContaining('HTTP 503'),
    retryInMs: expect.any(Number),
  });
  expect(logged.filter((l) => l.message === 'dmaap still failing').length).toBeGreaterThanOrEqual(1);
  const recovered = logged.find((l) => l.message === 'dmaap recovered');
  expect(recovered).toMatchObject({ level: 'info', outageMs: expect.any(Number), peakWaiting: expect.any(Number) });
  expect(recovered!.outageMs as number).toBeGreaterThanOrEqual(9000);
  expect(recovered!.peakWaiting as number).toBeGreaterThan(0);
});

test('429 with Retry-After: the batch waits as long as told, then everything arrives', async () => {
  fault.script(
    ...Array.from({ length: 3 }, () => ({
      kind: 'respond' as const,
      status: 429,
      headers: { 'Retry-After': '1' },
      body: 'slow down',
    })),
  );
  const from = fault.requests.length;
  const sent = ids('429', 200);
  await relay.publish(sent);
  const t = await allArrive(sent);
  report('DMaaP 429 Retry-After: 1 (x3)', t);
  expect(t.missing).toEqual([]);
  // Each refused batch came back, unchanged, no sooner than Retry-After said.
  const mine = fault.requests.slice(from);
  for (const refused of mine.slice(0, 3)) {
    const again = mine.find((r) => r !== refused && r.body === refused.body && r.at > refused.at);
    expect(again).toBeDefined();
    expect(again!.at - refused.at).toBeGreaterThanOrEqual(950);
  }
  await relay.untilDrained();
});

test('connections reset by DMaaP: retried, nothing lost', async () => {
  const errorsBefore = await relay.metric('vim_event_relay_dmaap_requests_total', { class: 'error' });
  fault.script(...Array.from({ length: 5 }, () => ({ kind: 'reset' as const })));
  const sent = ids('reset', 200);
  await relay.publish(sent);
  const t = await allArrive(sent);
  report('DMaaP resets the connection (x5)', t);
  expect(t.missing).toEqual([]);
  expect(await relay.metric('vim_event_relay_dmaap_requests_total', { class: 'error' })).toBeGreaterThanOrEqual(
    errorsBefore + 5,
  );
  await relay.untilDrained();
});

test('requests hanging past dmaap.timeoutMs: abandoned, retried, nothing lost', async () => {
  const errorsBefore = await relay.metric('vim_event_relay_dmaap_requests_total', { class: 'error' });
  fault.script(...Array.from({ length: 4 }, () => ({ kind: 'hang' as const })));
  const sent = ids('hang', 200);
  await relay.publish(sent);
  const t = await allArrive(sent);
  report('DMaaP hangs past the 1 s timeout (x4)', t);
  expect(t.missing).toEqual([]);
  expect(await relay.metric('vim_event_relay_dmaap_requests_total', { class: 'error' })).toBeGreaterThanOrEqual(
    errorsBefore + 4,
  );
  await relay.untilDrained();
});

test('publish.maxRetryMs (off by default): a notification failing longer is dead-lettered as DMAAP_RETRY_EXPIRED, none lost', async () => {
  const down = await startFaultServer();
  down.fallback = { kind: 'respond', status: 503, body: 'down for good' };
  const limited = new RelayUnderTest({ dmaapUrl: down.url, config: { publish: { maxRetryMs: 1500 } } });
  try {
    await limited.start();
    const sent = ids('expire', 30);
    await limited.publish(sent);
    await waitFor(
      async () => (await queueState(limited.dlq)).ready === sent.length,
      `${sent.length} dead letters`,
      30000,
      100,
    );
    await limited.untilDrained();
    const dead = await withChannel(async (ch) => {
      const out: { id: string; code: unknown; reason: string }[] = [];
      for (let m = await ch.get(limited.dlq, { noAck: true }); m; m = await ch.get(limited.dlq, { noAck: true })) {
        const inner = JSON.parse(JSON.parse(m.content.toString())['oslo.message']) as { message_id: string };
        out.push({
          id: inner.message_id,
          code: m.properties.headers?.['x-relay-reason-code'],
          reason: String(m.properties.headers?.['x-relay-reason']),
        });
      }
      return out;
    });
    expect(dead.map((d) => d.id).sort()).toEqual([...sent].sort());
    for (const d of dead) {
      expect(d.code).toBe('DMAAP_RETRY_EXPIRED');
      expect(d.reason).toMatch(/kept failing .*HTTP 503/);
    }
    expect(
      await limited.metric('vim_event_relay_notifications_dead_lettered_total', { code: 'DMAAP_RETRY_EXPIRED' }),
    ).toBe(sent.length);
    process.stdout.write(
      `fault DMaaP down with maxRetryMs 1500: sent ${sent.length}, dead-lettered ${dead.length} (DMAAP_RETRY_EXPIRED), delivered 0, missing 0\n`,
    );
  } finally {
    await limited.cleanup();
    await down.close();
  }
});
