/**
 * SIGKILL of the built daemon mid-stream, three times, each followed by a restart on the same
 * store: nothing may be lost; duplicates are bounded by the in-flight window (the prefetch) per
 * kill, and a duplicate is the very same message (same message_id, same JSON).
 */
import { jest } from '@jest/globals';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { ids, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const PREFETCH = 100;
let fault: FaultServer;
let relay: RelayUnderTest;

beforeAll(async () => {
  fault = await startFaultServer();
  // Every request takes a while, so a kill always finds notifications DMaaP holds or has just accepted.
  fault.fallback = { kind: 'accept', delayMs: 25 };
  relay = new RelayUnderTest({ dmaapUrl: fault.url, config: { transport: { prefetch: PREFETCH } } });
  await relay.start();
});

afterAll(async () => {
  await relay?.cleanup();
  await fault?.close();
});

test('SIGKILL at three moments mid-stream, restart each time: nothing lost, duplicates bounded by the in-flight window and identical', async () => {
  const sent = ids('crash', 3000);
  await relay.publish(sent);
  const kills = [600, 1300, 2000];
  for (const at of kills) {
    await waitFor(() => fault.accepted(relay.topic).length >= at, `${at} notifications accepted`, 60000, 10);
    const victim = relay.daemon;
    victim.signal('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    // What the dead process had not acked is back in the queue for the next one.
    await waitFor(
      async () => (await queueState(relay.queue)).consumers === 0,
      'the broker to drop the dead consumer (and requeue its deliveries)',
      20000,
      100,
    );
    await relay.spawn();
  }
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    'every notification accepted',
    90000,
    200,
  );
  const arrived = fault.accepted(relay.topic);
  const t = tally(sent, arrived);
  report(`SIGKILL x${kills.length} mid-stream + restart (prefetch ${PREFETCH})`, t);
  expect(t.missing).toEqual([]);
  expect(t.foreign).toEqual([]);
  expect(t.duplicates).toBeLessThanOrEqual(kills.length * PREFETCH);

  const byId = new Map<string, Set<string>>();
  for (const json of arrived) {
    const id = String((JSON.parse(json) as { message_id: string }).message_id);
    byId.set(id, (byId.get(id) ?? new Set()).add(json));
  }
  const differing = [...byId].filter(([, copies]) => copies.size > 1).map(([id]) => id);
  expect(differing).toEqual([]);
  await relay.untilDrained();
  expect(await queueCounts(relay.queue)).toMatchObject({ ready: 0, unacked: 0 });
});
