/**
 * The local RabbitMQ application restarted under the built daemon (rabbitmqctl stop_app /
 * start_app, serialised and awaited by helpers/broker-restart.ts, which hands the broker back
 * only once it fully serves AMQP 0-9-1 and 1.0 again). The VIM goes UNREACHABLE with readiness
 * 503, comes back by itself, and nothing is lost: not what was in flight, not what was queued,
 * not what is sent afterwards. Prints the reconnect time (start_app -> REACHABLE).
 */
import { jest } from '@jest/globals';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { awaitBrokerUp, restartRabbitApp } from '../helpers/broker-restart.js';
import { ids, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(180000);

let fault: FaultServer;
let relay: RelayUnderTest;

beforeAll(async () => {
  fault = await startFaultServer();
  relay = new RelayUnderTest({ dmaapUrl: fault.url, config: { dmaap: { timeoutMs: 60000 } } });
  await relay.start();
});

afterAll(async () => {
  // Whatever happened above, the broker is fully up again for the tests that follow.
  await awaitBrokerUp();
  await relay?.cleanup();
  await fault?.close();
});

test('RabbitMQ restarted under the daemon: UNREACHABLE and readyz 503 while down, REACHABLE again by itself, nothing lost', async () => {
  const before = ids('restart-before', 300);
  let open!: () => void;
  fault.fallback = { kind: 'accept', until: new Promise<void>((resolve) => (open = resolve)) };
  await relay.publish(before);
  await waitFor(async () => (await relay.inFlight()) === 50, 'a full prefetch in flight, held by DMaaP');

  const restart = await restartRabbitApp(async () => {
    await waitFor(
      async () => (await relay.vimStatus()) === 'UNREACHABLE',
      'the VIM UNREACHABLE while RabbitMQ is stopped',
      20000,
    );
    const ready = await relay.get('/readyz?strict=1');
    expect(ready.status).toBe(503);
    expect(ready.body.reasons.join('\n')).toContain(`vim ${relay.vimId}: UNREACHABLE`);
  });
  const vim = await waitFor(
    async () => {
      const v = await relay.get(`/api/v1/vims/${relay.vimId}`);
      return v.body.status === 'REACHABLE' ? v.body : undefined;
    },
    'the VIM REACHABLE again',
    30000,
  );
  const reachableAt = Date.parse(String(vim.statusSince));
  open();

  const after = ids('restart-after', 300);
  await relay.publish(after);
  const sent = [...before, ...after];
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    'every notification accepted',
    60000,
    100,
  );
  await relay.untilDrained();
  const t = tally(sent, fault.accepted(relay.topic));
  report(
    'RabbitMQ stop_app/start_app with 50 in flight',
    t,
    `reconnect ${reachableAt - restart.startAppInvokedAt} ms after start_app was invoked (${reachableAt - restart.startAppReturnedAt} ms after it returned; reconnect backoff 100..1000 ms)`,
  );
  expect(t.missing).toEqual([]);
  // The in-flight copies were still held by DMaaP when the broker redelivered them: not published twice.
  expect(t.duplicates).toBe(0);
  expect((await relay.get('/readyz?strict=1')).status).toBe(200);
});
