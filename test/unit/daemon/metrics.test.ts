import { Registry } from 'prom-client';
import { createRelayMetrics } from '../../../src/daemon/metrics.js';

const EXPECTED: [string, string, string[]][] = [
  ['vim_event_relay_notifications_consumed_total', 'counter', ['vim']],
  ['vim_event_relay_notifications_filtered_total', 'counter', ['vim', 'state']],
  ['vim_event_relay_notifications_published_total', 'counter', ['vim', 'destination', 'topic']],
  ['vim_event_relay_notifications_dead_lettered_total', 'counter', ['vim', 'code']],
  ['vim_event_relay_publish_retries_total', 'counter', ['destination', 'topic']],
  ['vim_event_relay_duplicates_suppressed_total', 'counter', ['vim']],
  ['vim_event_relay_vim_status_changes_total', 'counter', ['vim', 'status']],
  ['vim_event_relay_dmaap_requests_total', 'counter', ['topic', 'class']],
  ['vim_event_relay_destination_requests_total', 'counter', ['destination', 'topic', 'class']],
  ['vim_event_relay_destination_up', 'gauge', ['destination']],
  ['vim_event_relay_destination_pending', 'gauge', ['destination']],
  ['vim_event_relay_publish_latency_seconds', 'histogram', ['destination', 'topic']],
  ['vim_event_relay_in_flight', 'gauge', ['vim']],
  ['vim_event_relay_vim_connected', 'gauge', ['vim']],
  ['vim_event_relay_admin_auth_failures_total', 'counter', ['reason']],
  ['vim_event_relay_ves_alarms_unsaved', 'gauge', []],
  ['vim_event_relay_last_consumed_timestamp_seconds', 'gauge', ['vim']],
  ['vim_event_relay_queue_messages', 'gauge', ['vim']],
  ['vim_event_relay_queue_consumers', 'gauge', ['vim']],
  ['vim_event_relay_dead_letter_messages', 'gauge', ['vim']],
];

describe('createRelayMetrics', () => {
  it.each(EXPECTED)('registers %s as a %s labelled %j', async (name, type, labels) => {
    const m = createRelayMetrics();
    const metric = m.registry.getSingleMetric(name) as unknown as { labelNames: string[] } | undefined;
    expect(metric).toBeDefined();
    expect(metric!.labelNames).toEqual(labels);
    const json = await m.registry.getMetricsAsJSON();
    expect(json.find((x) => x.name === name)?.type).toBe(type);
  });

  it('has no relay metric beyond the documented ones', async () => {
    const names = (await createRelayMetrics().registry.getMetricsAsJSON())
      .map((x) => x.name)
      .filter((n) => n.startsWith('vim_event_relay_'));
    expect(names.sort()).toEqual(EXPECTED.map(([n]) => n).sort());
  });

  it('includes the default process metrics and renders the updates', async () => {
    const m = createRelayMetrics();
    m.dmaapRequests.inc({ topic: 'T', class: '5xx' });
    m.inFlight.set({ vim: 'v' }, 4);
    const text = await m.registry.metrics();
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('vim_event_relay_dmaap_requests_total{topic="T",class="5xx"} 1');
    expect(text).toContain('vim_event_relay_in_flight{vim="v"} 4');
  });

  it('uses the registry given, and separate calls do not collide', () => {
    const registry = new Registry();
    expect(createRelayMetrics(registry).registry).toBe(registry);
    expect(() => createRelayMetrics()).not.toThrow();
  });
});
