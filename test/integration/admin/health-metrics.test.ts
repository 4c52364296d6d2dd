import { RelayError } from '../../../src/errors.js';
import { FakeControl } from '../../helpers/fake-control.js';
import { call, startAdmin, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startAdmin();
});
afterEach(async () => {
  await h.close();
});

it('GET /healthz answers 200 {"status":"ok"}', async () => {
  const a = await call(h.url, 'GET', '/healthz');
  expect(a.status).toBe(200);
  expect(a.json).toEqual({ status: 'ok' });
});

it('GET /readyz answers 200 when ready, 503 with the reasons when not', async () => {
  const ok = await call(h.url, 'GET', '/readyz');
  expect(ok.status).toBe(200);
  expect(ok.json).toEqual({ status: 'ready', reasons: [] });
  h.control.setReadiness({ ready: false, reasons: ['vim vio-1: UNREACHABLE since 2024-05-01T10:00:00.000Z', 'DMaaP did not answer'] });
  const not = await call(h.url, 'GET', '/readyz');
  expect(not.status).toBe(503);
  expect(not.json).toEqual({ status: 'not ready', reasons: ['vim vio-1: UNREACHABLE since 2024-05-01T10:00:00.000Z', 'DMaaP did not answer'] });
});

it('readiness reasons are redacted too', async () => {
  h.control.setReadiness({ ready: false, reasons: ['vim vio-1: connect to amqp://nova:hunter22@10.0.0.5:5672/ refused'] });
  const a = await call(h.url, 'GET', '/readyz');
  expect(a.text).not.toContain('hunter22');
  expect(a.json).toMatchObject({ reasons: ['vim vio-1: connect to amqp://nova:***@10.0.0.5:5672/ refused'] });
});

it('GET /metrics answers the registry in Prometheus text format', async () => {
  const m = h.control.relayMetrics;
  m.notificationsConsumed.inc({ vim: 'vio-1' }, 3);
  m.notificationsPublished.inc({ vim: 'vio-1', topic: 'VIM_VM_EVENTS' });
  m.publishLatency.observe({ topic: 'VIM_VM_EVENTS' }, 0.02);
  m.vimConnected.set({ vim: 'vio-1' }, 1);
  const a = await call(h.url, 'GET', '/metrics');
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(a.text).toContain('vim_event_relay_notifications_consumed_total{vim="vio-1"} 3');
  expect(a.text).toContain('vim_event_relay_notifications_published_total{vim="vio-1",topic="VIM_VM_EVENTS"} 1');
  expect(a.text).toContain('vim_event_relay_publish_latency_seconds_bucket{le="0.025",topic="VIM_VM_EVENTS"} 1');
  expect(a.text).toContain('vim_event_relay_vim_connected{vim="vio-1"} 1');
  expect(a.text).toContain('process_cpu_user_seconds_total');
});

describe('failures inside the daemon', () => {
  class Failing extends FakeControl {
    override async deleteVim(): Promise<boolean> {
      throw new Error('disk full writing /var/lib/relay/state.json with rabbit://u:leaked@h/');
    }
    override async deleteSubscription(): Promise<boolean> {
      throw new RelayError('STORE_CORRUPT', 'store file /x cannot be used');
    }
  }
  let f: Harness;
  beforeEach(async () => {
    f = await startAdmin({ control: new Failing() });
  });
  afterEach(async () => {
    await f.close();
  });

  it('an unexpected error is 500 INTERNAL without its details, which go to the log redacted', async () => {
    const a = await call(f.url, 'DELETE', '/api/v1/vims/vio-1');
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: { code: 'INTERNAL', message: 'an unexpected error; the relay log has the details' } });
    const logged = f.logLines().find((l) => l.includes('admin request failed'));
    expect(logged).toContain('disk full');
    expect(logged).not.toContain('leaked');
  });

  it('a RelayError answers its catalogue status and code', async () => {
    const a = await call(f.url, 'DELETE', '/api/v1/subscriptions/s');
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: { code: 'STORE_CORRUPT', message: 'store file /x cannot be used' } });
  });
});
