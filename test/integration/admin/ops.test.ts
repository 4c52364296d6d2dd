/**
 * Why was this not published: GET /api/v1/vims/{id}/recent lists the last decisions with their
 * reason, filtered ones included; POST /api/v1/vims/{id}/explain runs a body through the live
 * subscriptions; each settled notification is one debug line; the filtered counter has a state.
 */
import { call, startAdmin, type Harness } from './harness.js';
import { waitFor } from '../../helpers/wait.js';
import { expandVersioned, powerOffV2, toWireV2 } from '../../helpers/fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await startAdmin();
  await call(h.url, 'PUT', '/api/v1/vims/ops-1', { body: { transportUrl: 'rabbit://u:p@127.0.0.1:5672/' } });
  const fresh = (await call(h.url, 'GET', '/api/v1/vims/ops-1')).json as { lastConsumedAt: string | null };
  expect(fresh.lastConsumedAt).toBeNull();
  await call(h.url, 'PUT', '/api/v1/subscriptions/off', {
    body: { vimId: 'ops-1', states: ['POWER_OFF'], topic: 'OFF' },
  });
  await call(h.url, 'PUT', '/api/v1/subscriptions/starts', {
    body: { vimId: 'ops-1', states: ['PAUSE'], phases: ['start'], topic: 'P' },
  });
});
afterAll(() => h.close());

interface Decision {
  message_id: string | null;
  event_type: string;
  state: string | null;
  outcome: string;
  reason: string;
  subscriptions: string[];
  destinations: string[];
}

it('recent shows published, filtered (read and unread), duplicate and dead-lettered, newest first, with reasons', async () => {
  const l = h.listener('ops-1');
  // One at a time: the ring is in the order they were settled.
  const settle = async (body: string) => {
    const d = l.deliver(body);
    await waitFor(() => d.settled.length > 0, 'settled', 5000);
  };
  await settle(JSON.stringify(powerOffV2('m-pub')));
  // instance.delete.end: no subscription wants DELETE (the check_vim_status window reads it).
  await settle(JSON.stringify(toWireV2(expandVersioned('instance-delete-end.json'), { messageId: 'm-del' })));
  // keypair.delete.end: nothing can want it; acked from its event type, unread.
  await settle(JSON.stringify(toWireV2(expandVersioned('keypair-delete-end.json'), { messageId: 'm-key' })));
  await settle('not json');
  await settle(JSON.stringify(powerOffV2('m-pub')));

  const a = await call(h.url, 'GET', '/api/v1/vims/ops-1/recent');
  expect(a.status).toBe(200);
  const { decisions, kept } = a.json as { decisions: Decision[]; kept: number };
  expect(kept).toBe(100);
  expect(decisions.map((d) => d.outcome)).toEqual(['duplicate', 'dead-lettered', 'filtered', 'filtered', 'published']);
  expect(decisions[4]).toMatchObject({
    message_id: 'm-pub',
    event_type: 'instance.power_off.end',
    state: 'POWER_OFF',
    subscriptions: ['off'],
    destinations: ['dmaap:OFF'],
  });
  expect(decisions[3]).toMatchObject({ message_id: 'm-del', event_type: 'instance.delete.end', state: 'DELETE' });
  expect(decisions[3].reason).toBe('no subscription of this VIM wants DELETE (end)');
  expect(decisions[2]).toMatchObject({ message_id: null, event_type: 'keypair.delete.end', state: 'NONE' });
  expect(decisions[2].reason).toBe(
    'event type keypair.delete.end is neither an instance nor a compute-node event (acked from its event type, unread)',
  );
  expect(decisions[1].reason).toMatch(/^NOT_JSON: /);
  expect(decisions[0]).toMatchObject({ message_id: 'm-pub', outcome: 'duplicate' });

  // One debug line per decision (the harness logs at debug).
  const lines = h.logLines().filter((x) => x.includes('"notification decided"'));
  expect(lines).toHaveLength(5);
  expect(JSON.parse(lines[0])).toMatchObject({
    level: 'debug',
    vim: 'ops-1',
    message_id: 'm-pub',
    outcome: 'published',
  });

  const metrics = (await call(h.url, 'GET', '/metrics')).text;
  expect(metrics).toContain('vim_event_relay_notifications_filtered_total{vim="ops-1",state="DELETE"} 1');
  expect(metrics).toContain('vim_event_relay_notifications_filtered_total{vim="ops-1",state="NONE"} 1');
  expect((await call(h.url, 'GET', '/api/v1/vims/nope/recent')).status).toBe(404);

  // Silent VIMs: when the last notification was consumed, in GET /vims/{id} and as a gauge.
  const vim = (await call(h.url, 'GET', '/api/v1/vims/ops-1')).json as { lastConsumedAt: string | null };
  expect(Date.now() - Date.parse(vim.lastConsumedAt!)).toBeLessThan(60_000);
  const gauge = /vim_event_relay_last_consumed_timestamp_seconds\{vim="ops-1"\} ([\d.e+]+)/.exec(metrics);
  expect(Number(gauge?.[1]) * 1000).toBeCloseTo(Date.parse(vim.lastConsumedAt!), -1);
});

it('explain says what would be sent where and why each other subscription does not take it', async () => {
  const body = toWireV2(expandVersioned('instance-pause-end.json'), { messageId: 'm-pause' });
  const a = await call(h.url, 'POST', '/api/v1/vims/ops-1/explain', { body });
  expect(a.status).toBe(200);
  expect(a.json).toEqual({
    vim: 'ops-1',
    event_type: 'instance.pause.end',
    message_id: 'm-pause',
    state: 'PAUSE',
    sent: [],
    not_sent: [
      {
        subscription: 'off',
        reason: expect.stringContaining('its state is PAUSE, not among the subscription\'s states ["POWER_OFF"]'),
      },
      { subscription: 'starts', reason: 'its phase is end, not among the subscription\'s phases ["start"]' },
    ],
    suppressed: 0,
  });
  const off = await call(h.url, 'POST', '/api/v1/vims/ops-1/explain', { body: powerOffV2('m-x') });
  expect(off.json).toMatchObject({
    sent: [{ sink: 'dmaap', topic: 'OFF', subscription: 'off', message: { event: 'POWER_OFF', message_id: 'm-x' } }],
  });
  // Nothing was published by explaining.
  expect(h.dmaap.calls.filter((r) => r.json.includes('m-x'))).toEqual([]);
  const bad = await call(h.url, 'POST', '/api/v1/vims/ops-1/explain', { body: { hello: 1 } });
  expect(bad.status).toBe(400);
  expect((await call(h.url, 'POST', '/api/v1/vims/nope/explain', { body })).status).toBe(404);
});
