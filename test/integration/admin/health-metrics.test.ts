/** Health, readiness and metrics over the daemon's ControlPlane, fed by scripted listeners and a scripted DMaaP. */
import { jest } from '@jest/globals';
import { RelayError } from '../../../src/errors.js';
import { expandVersioned, toWireV2 } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait.js';
import { call, startAdmin, VIM, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startAdmin();
});
afterEach(async () => {
  jest.restoreAllMocks();
  await h.close();
});

it('GET /healthz answers 200 {"status":"ok"}', async () => {
  const a = await call(h.url, 'GET', '/healthz');
  expect(a.status).toBe(200);
  expect(a.json).toEqual({ status: 'ok' });
});

it('GET /readyz?strict=1 answers 200 when ready, 503 with the reasons when not: listeners, destinations, shutting down', async () => {
  const strict = '/readyz?strict=1';
  const ok = await call(h.url, 'GET', strict);
  expect(ok.status).toBe(200);
  expect(ok.json).toEqual({ status: 'ready', reasons: [] });
  await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
  // A listener that has not connected yet is not ready.
  expect((await call(h.url, 'GET', strict)).json).toEqual({
    status: 'not ready',
    reasons: ['vim vio-1: PENDING since 1970-01-01T00:00:00.000Z'],
  });
  h.listener('vio-1').report({ status: 'REACHABLE', since: new Date('2024-05-01T09:00:00Z') });
  expect((await call(h.url, 'GET', strict)).status).toBe(200);
  h.listener('vio-1').report({
    status: 'UNREACHABLE',
    since: new Date('2024-05-01T10:00:00Z'),
    reason: 'connect ECONNREFUSED 10.0.0.5:5672',
  });
  h.dmaap.healthNow = { ok: false, since: new Date('2024-05-01T10:00:05Z'), reason: 'DMaaP did not answer' };
  const not = await call(h.url, 'GET', strict);
  expect(not.status).toBe(503);
  const reasons = [
    'vim vio-1: UNREACHABLE since 2024-05-01T10:00:00.000Z (connect ECONNREFUSED 10.0.0.5:5672)',
    'dmaap: failing since 2024-05-01T10:00:05.000Z (DMaaP did not answer)',
  ];
  expect(not.json).toEqual({ status: 'not ready', reasons });
  // The default (admin.readiness "process") is ready all the same, and reports the rest as degraded.
  expect(await call(h.url, 'GET', '/readyz')).toEqual(
    expect.objectContaining({ status: 200, json: { status: 'ready', reasons: [], degraded: reasons } }),
  );
  expect((await call(h.url, 'GET', '/readyz?strict=0')).status).toBe(200);
  expect(await call(h.url, 'GET', '/api/v1/status')).toMatchObject({
    status: 200,
    json: { status: 'degraded', ready: true, reasons },
  });
  h.listener('vio-1').report({ status: 'REACHABLE', since: new Date('2024-05-01T10:01:00Z') });
  h.dmaap.healthNow = { ok: true, since: new Date('2024-05-01T10:01:00Z') };
  expect((await call(h.url, 'GET', strict)).status).toBe(200);
  expect((await call(h.url, 'GET', '/api/v1/status')).json).toEqual({ status: 'ok', ready: true, reasons: [] });
  h.control.beginStopping();
  for (const path of ['/readyz', strict]) {
    const stopping = await call(h.url, 'GET', path);
    expect(stopping.status).toBe(503);
    expect(stopping.json).toEqual({ status: 'not ready', reasons: ['shutting down'] });
  }
  expect((await call(h.url, 'GET', '/api/v1/status')).json).toEqual({
    status: 'degraded',
    ready: false,
    reasons: ['shutting down'],
  });
});

it('admin.readiness "strict" makes the plain /readyz judge the VIMs and destinations', async () => {
  const strict = await startAdmin({ readiness: 'strict' });
  try {
    await call(strict.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
    expect(await call(strict.url, 'GET', '/readyz')).toMatchObject({
      status: 503,
      json: { reasons: ['vim vio-1: PENDING since 1970-01-01T00:00:00.000Z'] },
    });
    strict.listener('vio-1').report({ status: 'REACHABLE', since: new Date('2024-05-01T09:00:00Z') });
    expect((await call(strict.url, 'GET', '/readyz')).status).toBe(200);
  } finally {
    await strict.close();
  }
});

it('readiness reasons are redacted too', async () => {
  await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
  h.listener('vio-1').report({
    status: 'UNREACHABLE',
    since: new Date('2024-05-01T10:00:00Z'),
    reason: 'connect to amqp://nova:hunter22@10.0.0.5:5672/ refused',
  });
  const a = await call(h.url, 'GET', '/readyz?strict=1');
  expect(a.text).not.toContain('hunter22');
  expect(a.json).toMatchObject({
    reasons: [
      'vim vio-1: UNREACHABLE since 2024-05-01T10:00:00.000Z (connect to amqp://nova:***@10.0.0.5:5672/ refused)',
    ],
  });
});

it('GET /metrics answers the registry in Prometheus text format, fed by what the daemon did', async () => {
  await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
  await call(h.url, 'PUT', '/api/v1/subscriptions/s1', {
    body: { vimId: 'vio-1', states: ['POWER_OFF'], topic: 'VIM_VM_EVENTS' },
  });
  const listener = h.listener('vio-1');
  listener.report({ status: 'REACHABLE', since: new Date() });
  const sample = expandVersioned('instance-power_off-end.json');
  const taken = [1, 2, 3].map((n) =>
    listener.deliver(JSON.stringify(toWireV2(sample, { messageId: `m-metrics-${n}` }))),
  );
  await waitFor(() => taken.every((d) => d.settled.length > 0), 'three notifications settled', 2000);
  expect(taken.map((d) => d.settled)).toEqual([[{ kind: 'ack' }], [{ kind: 'ack' }], [{ kind: 'ack' }]]);
  expect(h.dmaap.calls.map((r) => r.topic)).toEqual(['VIM_VM_EVENTS', 'VIM_VM_EVENTS', 'VIM_VM_EVENTS']);
  const a = await call(h.url, 'GET', '/metrics');
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(a.text).toContain('vim_event_relay_notifications_consumed_total{vim="vio-1"} 3');
  expect(a.text).toContain(
    'vim_event_relay_notifications_published_total{vim="vio-1",destination="dmaap",topic="VIM_VM_EVENTS"} 3',
  );
  expect(a.text).toContain(
    'vim_event_relay_publish_latency_seconds_count{destination="dmaap",topic="VIM_VM_EVENTS"} 3',
  );
  expect(a.text).toContain('vim_event_relay_vim_connected{vim="vio-1"} 1');
  expect(a.text).toContain('vim_event_relay_destination_up{destination="dmaap"} 1');
  expect(a.text).toContain('process_cpu_user_seconds_total');
});

describe('failures inside the daemon', () => {
  // A full disk and a corrupt store file cannot be had on demand: the store's write fails as they would.
  beforeEach(async () => {
    await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
    await call(h.url, 'PUT', '/api/v1/subscriptions/s', { body: { vimId: 'vio-1', states: ['CREATE'], topic: 'T' } });
  });

  it('an unexpected error is 500 INTERNAL without its details, which go to the log redacted', async () => {
    jest
      .spyOn(h.store, 'update')
      .mockRejectedValue(new Error('disk full writing /var/lib/relay/state.json with rabbit://u:leaked@h/'));
    const a = await call(h.url, 'DELETE', '/api/v1/vims/vio-1');
    expect(a.status).toBe(500);
    expect(a.json).toEqual({
      error: { code: 'INTERNAL', message: 'an unexpected error; the relay log has the details' },
    });
    const logged = h.logLines().find((l) => l.includes('admin request failed'));
    expect(logged).toContain('disk full');
    expect(logged).not.toContain('leaked');
    expect(h.store.get().vims.map((v) => v.id)).toEqual(['vio-1']);
  });

  it('a RelayError answers its catalogue status and code', async () => {
    jest.spyOn(h.store, 'update').mockRejectedValue(new RelayError('STORE_CORRUPT', 'store file /x cannot be used'));
    const a = await call(h.url, 'DELETE', '/api/v1/subscriptions/s');
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: { code: 'STORE_CORRUPT', message: 'store file /x cannot be used' } });
    expect(h.store.get().subscriptions.map((x) => x.id)).toEqual(['s']);
  });
});
