/**
 * RabbitMQ's consumer_timeout against a DMaaP outage: a delivery the relay holds unacked (the
 * publisher keeps retrying) past the timeout gets its channel closed by the broker
 * (PRECONDITION_FAILED) and is requeued. The relay must not lose it, and must not turn the
 * redeliveries into duplicates at DMaaP.
 *
 * RabbitMQ 3.10 has consumer_timeout only broker-wide (30 min by default), checked on the
 * channel tick (channel_tick_interval, 60 s by default) and read when a channel opens. The test
 * sets both low, holding the cross-process broker lock, and always restores them. Other
 * people's channels opened meanwhile get the short timeout too: the window is kept short.
 */
import { jest } from '@jest/globals';
import { withBrokerLock } from '../helpers/broker-restart.js';
import { withRabbitEnv } from '../helpers/broker-env.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { stopDaemon } from '../helpers/daemon.js';
import { ids, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(240000);

const CONSUMER_TIMEOUT_MS = 4000;
const OUTAGE_MS = 13000;
const PREFETCH = 50;

let fault: FaultServer | undefined;
let relay: RelayUnderTest | undefined;

afterAll(async () => {
  await relay?.cleanup();
  await fault?.close();
});

test(`DMaaP refuses for ${OUTAGE_MS / 1000} s with consumer_timeout ${CONSUMER_TIMEOUT_MS / 1000} s: channels closed and requeued, nothing lost, no duplicate published`, async () => {
  fault = await startFaultServer();
  fault.fallback = { kind: 'respond', status: 503, body: 'down' };
  const f = fault;
  const sent = ids('ct', 30);
  relay = new RelayUnderTest({ dmaapUrl: f.url, config: { transport: { prefetch: PREFETCH } } });
  const r = relay;
  // Only the part that needs the short timeout runs with it; the checks come after the restore.
  const seen = await withBrokerLock(() =>
    withRabbitEnv({ consumer_timeout: CONSUMER_TIMEOUT_MS, channel_tick_interval: 500 }, async (old) => {
      const startedAt = Date.now();
      await r.start();
      await r.publish(sent);
      await waitFor(
        async () => (await r.inFlight()) === sent.length,
        `${sent.length} deliveries held while DMaaP is down`,
        10000,
      );
      const outageFrom = Date.now();
      await waitFor(
        () => r.daemon.lines.some((l) => /timed out|PRECONDITION/i.test(typeof l.reason === 'string' ? l.reason : '')),
        'the broker closing the channel on consumer_timeout',
        CONSUMER_TIMEOUT_MS + 6000,
        100,
      );
      const firstTimeoutAfter = Date.now() - outageFrom;
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageFrom)));
      f.fallback = { kind: 'accept' };
      await waitFor(
        () => tally(sent, f.accepted(r.topic)).missing.length === 0,
        'every notification accepted by DMaaP',
        20000,
        100,
      );
      await r.untilDrained(15000);
      return { firstTimeoutAfter, window: (Date.now() - startedAt) / 1000, oldTimeout: old.consumer_timeout };
    }),
  );

  const t = tally(sent, f.accepted(r.topic));
  const closes = r.daemon.lines.filter(
    (l) => l.message === 'restarting the session' && /timed out|PRECONDITION/i.test(String(l.reason)),
  ).length;
  const consumed = await r.metric('vim_event_relay_notifications_consumed_total', { vim: r.vimId });
  const suppressed = await r.metric('vim_event_relay_duplicates_suppressed_total', { vim: r.vimId });
  report(
    `consumer_timeout ${CONSUMER_TIMEOUT_MS} ms, DMaaP 503 for ${OUTAGE_MS} ms`,
    t,
    `channel closes by the broker ${closes} (first ${seen.firstTimeoutAfter} ms into the outage), deliveries ${consumed}, redeliveries suppressed ${suppressed}, short-timeout window ${seen.window.toFixed(1)} s (restored consumer_timeout ${String(seen.oldTimeout)})`,
  );
  expect(t.missing).toEqual([]);
  expect(t.foreign).toEqual([]);
  expect(t.duplicates).toBe(0);
  // The outage outlasted the timeout more than twice: the broker closed the channel repeatedly,
  // each time requeueing what was held; every redelivery was recognised, none published again.
  expect(closes).toBeGreaterThanOrEqual(2);
  expect(consumed).toBeGreaterThan(sent.length);
  expect(consumed).toBeLessThanOrEqual(sent.length * (closes + 1));
  expect(suppressed).toBe(consumed - sent.length);
  // Everything was acked on a live channel: once the daemon is gone, nothing comes back to the
  // queue (rabbitmqctl's unacked figure for a quorum queue lags by its stats interval, so the
  // requeue on close is the proof), and nothing went over the delivery limit into the DLQ.
  await stopDaemon(r.daemon, 15000);
  await sleep(500);
  expect(await queueState(r.queue)).toEqual({ ready: 0, consumers: 0 });
  expect((await queueState(r.dlq)).ready).toBe(0);
});
