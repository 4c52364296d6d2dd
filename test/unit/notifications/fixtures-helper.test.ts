import {
  expandVersioned,
  legacySample,
  listLegacySamples,
  listVersionedSamples,
  loadJson,
  osloTimestamp,
  routingKeyFor,
  toAmqp1Body,
  toWireV1,
  toWireV2,
} from '../../helpers/fixtures.js';

const versioned = listVersionedSamples();

describe('test fixtures helper', () => {
  it('lists the 134 versioned samples and 33 legacy samples', () => {
    expect(versioned).toHaveLength(134);
    expect(versioned).not.toContain('common_payloads');
    expect(listLegacySamples()).toHaveLength(33);
    expect(listLegacySamples()).toContain('watcher/scenario3_legacy_instance-update.json');
  });

  it.each(versioned)('expands %s completely, with the four sample keys', (file) => {
    const s = expandVersioned(file);
    expect(JSON.stringify(s)).not.toContain('"$ref"');
    expect(Object.keys(s).sort()).toEqual(['event_type', 'payload', 'priority', 'publisher_id']);
    expect(s.payload).toHaveProperty(['nova_object.data']);
  });

  it('merges overrides into the referenced payload and replaces lists whole', () => {
    const off = expandVersioned('instance-power_off-end.json').payload['nova_object.data'];
    expect(off.state).toBe('stopped');
    expect(off.power_state).toBe('shutdown');
    expect(off.fault).toBeNull();
    expect(off.flavor['nova_object.data'].name).toBe('test_flavor');
    expect(expandVersioned('instance-update.json').payload['nova_object.data'].ip_addresses).toEqual([]);
  });

  it('hoists listener metadata and keeps trimmed samples as they are', () => {
    const l = legacySample('searchlight/servers__instance-update-error-final.json');
    expect(l.message_id).toBe('086b76b2-3fcf-4023-b153-7a3a26925ce4');
    expect(l.timestamp).toBe('2016-08-31 23:32:13.246675');
    expect(l).not.toHaveProperty('metadata');
    const t = legacySample('watcher/scenario3_legacy_instance-update.json');
    expect(t.message_id).toBeUndefined();
    expect(t.priority).toBeUndefined();
  });

  it('builds a v1 body with the same keys and formats as the captured oslo body', () => {
    const captured = loadJson('oslo-wire/sample-wire-legacy.json').body;
    const body = toWireV1(legacySample('designate/compute.instance.shutdown.end.json'), {
      messageId: 'm-1',
      timestamp: new Date(Date.UTC(2026, 10, 22, 0, 30, 5, 336)),
    });
    const contextKeys = (o: object) =>
      Object.keys(o)
        .filter((k) => !k.startsWith('_context_'))
        .sort();
    expect(contextKeys(body)).toEqual(contextKeys(captured));
    expect(body.message_id).toBe('m-1');
    expect(body.timestamp).toBe('2026-11-22 00:30:05.336000');
    expect(body._unique_id).toMatch(/^[0-9a-f]{32}$/);
    const fresh = toWireV1({ event_type: 'x', publisher_id: 'compute.h', payload: {} });
    expect(
      Object.keys(fresh)
        .filter((k) => k.startsWith('_context_'))
        .sort(),
    ).toEqual(
      Object.keys(captured)
        .filter((k) => k.startsWith('_context_'))
        .sort(),
    );
    expect(fresh.priority).toBe('INFO');
    expect(fresh.message_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('formats timestamps as python str(datetime), dropping zero microseconds', () => {
    expect(osloTimestamp(new Date(Date.UTC(2016, 2, 31, 14, 44, 15, 671)))).toBe('2016-03-31 14:44:15.671000');
    expect(osloTimestamp(new Date(Date.UTC(2016, 2, 31, 14, 44, 15, 0)))).toBe('2016-03-31 14:44:15');
  });

  it('wraps v2 and amqp1 bodies like oslo', () => {
    const s = expandVersioned('instance-power_off-end.json');
    const v2 = toWireV2(s, { messageId: 'abc' });
    expect(v2['oslo.version']).toBe('2.0');
    expect(JSON.parse(v2['oslo.message'] as string)).toMatchObject({
      message_id: 'abc',
      event_type: 'instance.power_off.end',
    });
    const a1 = toAmqp1Body(s) as { request: Record<string, string>; context: object };
    expect(JSON.parse(a1.request['oslo.message']).payload).toEqual(s.payload);
    expect(a1.context).toHaveProperty('project_id');
  });

  it('routes like oslo: <topic>.<priority lower>', () => {
    expect(routingKeyFor(expandVersioned('instance-create-error.json'))).toBe('versioned_notifications.error');
    expect(routingKeyFor(legacySample('watcher/scenario3_legacy_instance-update.json'))).toBe('notifications.info');
  });
});
