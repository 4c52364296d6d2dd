/** Labelled series start at zero, so rate() alerts see the first dead letter; destination gauges read at scrape. */
import { MetricsObserver } from '../../../src/daemon/observer.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';

const sample = async (
  o: MetricsObserver,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> => {
  const m = (await o.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value;
};

describe('MetricsObserver', () => {
  it('shows the per-notification counts on every read, whichever way the series are read, and adds up across reads', async () => {
    const o = new MetricsObserver();
    const events = (): void => {
      for (let i = 0; i < 3; i++) o.consumed('v1');
      o.consumed('v2');
      o.filtered('v1', 'UPDATE');
      o.filtered('v1', 'NONE');
      o.duplicate('v2');
      o.inFlight('v1', 1);
      o.inFlight('v1', 1);
      o.inFlight('v1', -1);
      o.published('v1', 'dmaap', 'T1', 0.002);
      o.published('v1', 'dmaap', 'T1', 0.003);
      o.published('v1', 'kafka', 'T1', 0.004);
    };
    events();
    const published = (destination: string): Promise<number | undefined> =>
      sample(o, 'vim_event_relay_notifications_published_total', { vim: 'v1', destination, topic: 'T1' });
    expect(await sample(o, 'vim_event_relay_notifications_consumed_total', { vim: 'v1' })).toBe(3);
    expect(await sample(o, 'vim_event_relay_notifications_consumed_total', { vim: 'v2' })).toBe(1);
    expect(await sample(o, 'vim_event_relay_notifications_filtered_total', { vim: 'v1', state: 'UPDATE' })).toBe(1);
    expect(await sample(o, 'vim_event_relay_notifications_filtered_total', { vim: 'v1', state: 'NONE' })).toBe(1);
    expect(await sample(o, 'vim_event_relay_duplicates_suppressed_total', { vim: 'v2' })).toBe(1);
    expect(await sample(o, 'vim_event_relay_in_flight', { vim: 'v1' })).toBe(1);
    expect(await published('dmaap')).toBe(2);
    expect(await published('kafka')).toBe(1);
    events();
    // One metric's get() (not a whole scrape) is current too.
    const consumed = await o.registry.getSingleMetric('vim_event_relay_notifications_consumed_total')!.get();
    expect(consumed.values.find((v) => v.labels.vim === 'v1')?.value).toBe(6);
    const text = await o.registry.metrics();
    expect(text).toContain('vim_event_relay_in_flight{vim="v1"} 2');
    expect(text).toContain('vim_event_relay_notifications_published_total{vim="v1",destination="dmaap",topic="T1"} 4');
    expect(await sample(o, 'vim_event_relay_notifications_filtered_total', { vim: 'v1', state: 'UPDATE' })).toBe(2);
    o.forgetVim('v1');
    expect(await sample(o, 'vim_event_relay_notifications_consumed_total', { vim: 'v1' })).toBe(6);
    expect(await sample(o, 'vim_event_relay_in_flight', { vim: 'v1' })).toBeUndefined();
  });

  it("initialises a known VIM's series at zero: consumed, every dead-letter code, every status", async () => {
    const o = new MetricsObserver();
    expect(
      await sample(o, 'vim_event_relay_notifications_dead_lettered_total', { vim: 'v1', code: 'NOT_JSON' }),
    ).toBeUndefined();
    o.knowVim('v1');
    expect(await sample(o, 'vim_event_relay_notifications_consumed_total', { vim: 'v1' })).toBe(0);
    for (const code of ['NOT_JSON', 'UNMAPPABLE', 'DMAAP_REJECTED', 'KAFKA_REJECTED', 'VES_REJECTED']) {
      expect(await sample(o, 'vim_event_relay_notifications_dead_lettered_total', { vim: 'v1', code })).toBe(0);
    }
    expect(
      await sample(o, 'vim_event_relay_notifications_dead_lettered_total', { vim: 'v1', code: 'VALIDATION_FAILED' }),
    ).toBeUndefined();
    for (const status of ['PENDING', 'REACHABLE', 'UNREACHABLE'])
      expect(await sample(o, 'vim_event_relay_vim_status_changes_total', { vim: 'v1', status })).toBe(0);
    o.deadLettered('v1', 'NOT_JSON');
    expect(await sample(o, 'vim_event_relay_notifications_dead_lettered_total', { vim: 'v1', code: 'NOT_JSON' })).toBe(
      1,
    );
  });

  it("initialises a route's series at zero, per destination", async () => {
    const o = new MetricsObserver();
    o.knowRoute('v1', 'kafka', 'k.topic');
    expect(
      await sample(o, 'vim_event_relay_notifications_published_total', {
        vim: 'v1',
        destination: 'kafka',
        topic: 'k.topic',
      }),
    ).toBe(0);
    expect(
      await sample(o, 'vim_event_relay_destination_requests_total', {
        destination: 'kafka',
        topic: 'k.topic',
        class: 'error',
      }),
    ).toBe(0);
    expect(
      await sample(o, 'vim_event_relay_dmaap_requests_total', { topic: 'k.topic', class: 'error' }),
    ).toBeUndefined();
  });

  it('reads destination_up and destination_pending when scraped', async () => {
    const o = new MetricsObserver();
    const d = new ScriptedDestination(undefined, 'ves');
    let ok = true;
    d.health = () => ({ ok, since: new Date() });
    o.watchDestinations([d]);
    expect(await sample(o, 'vim_event_relay_destination_up', { destination: 'ves' })).toBe(1);
    ok = false;
    await o.registry.metrics();
    expect(await sample(o, 'vim_event_relay_destination_up', { destination: 'ves' })).toBe(0);
  });

  it('reads ves_alarms_unsaved when scraped', async () => {
    const o = new MetricsObserver();
    let unsaved = 2;
    o.watchDestinations([]);
    o.watchUnsavedAlarms(() => unsaved);
    expect(await sample(o, 'vim_event_relay_ves_alarms_unsaved', {})).toBe(2);
    unsaved = 0;
    expect(await sample(o, 'vim_event_relay_ves_alarms_unsaved', {})).toBe(0);
  });

  it('counts requests by class: HTTP destinations by status family, Kafka by outcome', async () => {
    const o = new MetricsObserver();
    const h = o.hooks();
    h.onRequest!({ destination: 'dmaap', topic: 'T', count: 3, status: 503, durationMs: 1, outcome: 'retry' });
    h.onRequest!({ destination: 'kafka', topic: 'K', count: 1, status: 29, durationMs: 1, outcome: 'permanent' });
    h.onRequest!({ destination: 'kafka', topic: 'K', count: 1, durationMs: 1, outcome: 'retry' });
    expect(
      await sample(o, 'vim_event_relay_destination_requests_total', { destination: 'dmaap', topic: 'T', class: '5xx' }),
    ).toBe(1);
    expect(await sample(o, 'vim_event_relay_dmaap_requests_total', { topic: 'T', class: '5xx' })).toBe(1);
    expect(
      await sample(o, 'vim_event_relay_destination_requests_total', { destination: 'kafka', topic: 'K', class: '4xx' }),
    ).toBe(1);
    expect(
      await sample(o, 'vim_event_relay_destination_requests_total', {
        destination: 'kafka',
        topic: 'K',
        class: 'error',
      }),
    ).toBe(1);
  });
});
