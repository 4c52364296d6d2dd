/**
 * A destination over its sanity cap (publish.maxPending) against the built daemon on a quorum
 * queue (delivery limit 20): the refused records are held and offered again, not requeued in a
 * hot loop that would spend the delivery limit and dead-letter them within milliseconds.
 */
import { jest } from '@jest/globals';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { ids, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(60000);

let fault: FaultServer;
let relay: RelayUnderTest;

beforeAll(async () => {
  fault = await startFaultServer();
  // Each request takes 100 ms and DMaaP may hold only 2 records: 48 of the 50 in hand are over the cap.
  fault.fallback = { kind: 'accept', delayMs: 100 };
  relay = new RelayUnderTest({
    dmaapUrl: fault.url,
    config: { transport: { prefetch: 50 }, publish: { maxPending: 2 } },
  });
  await relay.start();
});

afterAll(async () => {
  await relay?.cleanup();
  await fault?.close();
});

test('records over publish.maxPending wait for room: all delivered, none dead-lettered', async () => {
  const sent = ids('overload', 150);
  await relay.publish(sent);
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    'every notification accepted by DMaaP',
    45000,
    200,
  );
  const t = tally(sent, fault.accepted(relay.topic));
  report('overload', t, `requests ${fault.requests.length}`);
  await relay.untilDrained();
  expect((await queueState(relay.dlq)).ready).toBe(0);
  expect(await relay.metric('vim_event_relay_notifications_dead_lettered_total')).toBe(0);
  expect(t.foreign).toEqual([]);
});
