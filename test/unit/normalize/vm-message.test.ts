import { matchSubscriptions } from '../../../src/filter/match.js';
import type { Match, Subscription } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import { serializeMessage, toVmMessage, type VmMessage } from '../../../src/normalize/vm-message.js';
import {
  expandVersioned,
  legacySample,
  listLegacySamples,
  listVersionedSamples,
  loadJson,
  toWireV2,
  type Sample,
} from '../../helpers/fixtures.js';
import { schemaErrors } from './vm-schema.js';

const VIM = 'vio-1';
const EVERYTHING: Subscription = {
  id: 'all',
  vimId: VIM,
  states: ['*'],
  topic: 'T',
  phases: ['start', 'end', 'error'],
};

function notificationOf(sample: Sample): Notification {
  const r = parseNotification(Buffer.from(JSON.stringify(toWireV2(sample, { messageId: 'mid' }))));
  if (!r.ok) throw r.error;
  return r.notification;
}

function vioSample(): Sample {
  return {
    event_type: 'compute.instance.power_off.start',
    publisher_id: 'compute.compute01',
    priority: 'INFO',
    payload: loadJson('vio/vio-compute.instance-payload-powering-off.json'),
  };
}

const all = [
  ...listVersionedSamples().map((f) => [`versioned ${f}`, expandVersioned(f)] as const),
  ...listLegacySamples().map((f) => [`legacy ${f}`, legacySample(f)] as const),
  ['vio payload as compute.instance.power_off.start', vioSample()] as const,
];
/** Every instance notification in the fixtures that some subscription would match. */
const MATCHED = all
  .map(([name, s]) => ({ name, sample: s, n: notificationOf(s) }))
  .map((c) => ({ ...c, match: matchSubscriptions(VIM, c.n, [EVERYTHING])[0] }))
  // service.* and metrics.update match "*" as compute-node events: not instance notifications
  .filter((c): c is typeof c & { match: Match } => c.match !== undefined && !c.match.event.startsWith('COMPUTE_NODE_'));

const EMPTY_STRING_WHEN_ABSENT = new Set([
  'state_description',
  'terminated_at',
  'deleted_at',
  'launched_at',
  'created_at',
  'cell_name',
  'instance_type',
  'instance_flavor_id',
  'progress',
]);

/** What legacy nova would have sent for each key, derived from the source payload. */
function expectedFromLegacy(p: Record<string, unknown>, key: string): unknown {
  const v = p[key];
  if (v === undefined || v === null) return EMPTY_STRING_WHEN_ABSENT.has(key) ? '' : null;
  if (key === 'metadata' && Array.isArray(v))
    return Object.fromEntries(v.map((r: { key: string; value: unknown }) => [r.key, r.value]));
  return v;
}

const strtimeOf = (iso: unknown) =>
  iso === null
    ? ''
    : new Date(iso as string)
        .toISOString()
        .replace('Z', '')
        .replace(/\.(\d{3})$/, '.$1000');
const pyStrOf = (iso: unknown) =>
  iso === null
    ? ''
    : new Date(iso as string)
        .toISOString()
        .replace('T', ' ')
        .replace(/(\.000)?Z$/, '+00:00');

/** The versioned -> legacy mapping, stated independently of src/normalize's table. */
function expectedFromVersioned(d: Record<string, any>): Record<string, unknown> {
  const f = d.flavor['nova_object.data'];
  return {
    instance_id: d.uuid,
    hostname: d.host_name,
    display_name: d.display_name,
    reservation_id: d.reservation_id,
    tenant_id: d.tenant_id,
    user_id: d.user_id,
    host: d.host,
    node: d.node,
    availability_zone: d.availability_zone,
    instance_type: f.name,
    instance_flavor_id: f.flavorid,
    memory_mb: f.memory_mb,
    vcpus: f.vcpus,
    root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb,
    disk_gb: f.root_gb + f.ephemeral_gb,
    instance_type_id: null,
    state: d.state,
    state_description: d.task_state ?? '',
    progress: d.progress || '',
    created_at: pyStrOf(d.created_at),
    launched_at: strtimeOf(d.launched_at),
    terminated_at: strtimeOf(d.terminated_at),
    deleted_at: strtimeOf(d.deleted_at),
    image_ref_url: d.image_uuid || null,
    kernel_id: d.kernel_id,
    ramdisk_id: d.ramdisk_id,
    architecture: d.architecture,
    os_type: d.os_type,
    metadata: d.metadata,
    image_meta: null,
    access_ip_v4: null,
    access_ip_v6: null,
    cell_name: '',
  };
}

describe('toVmMessage over every matched instance notification in the fixtures', () => {
  it('matches 50 versioned and 16 legacy instance notifications (the loop below is not empty)', () => {
    expect(MATCHED.filter((c) => c.n.format === 'versioned').length).toBe(50);
    expect(MATCHED.filter((c) => c.n.format === 'legacy').length).toBe(16); // 15 legacy fixtures + the VIO payload;
  });

  it.each(MATCHED.map((c) => [c.name, c] as const))('%s', (_name, { n, match, sample }) => {
    const msg = toVmMessage(VIM, n, match);
    expect(schemaErrors(msg)).toBe('');
    expect(msg).toMatchObject({
      vim_id: VIM,
      event: match.event,
      event_type: sample.event_type,
      message_id: 'mid',
      publisher_id: sample.publisher_id,
      timestamp: n.timestamp,
    });
    if (n.format === 'legacy') {
      const p = sample.payload as Record<string, unknown>;
      for (const key of Object.keys(msg).slice(6))
        expect([key, msg[key as keyof VmMessage]]).toEqual([key, expectedFromLegacy(p, key)]);
    } else {
      const expected = expectedFromVersioned(sample.payload['nova_object.data']);
      expect(Object.fromEntries(Object.entries(msg).slice(6))).toEqual(expected);
    }
    expect(JSON.parse(serializeMessage(msg))).toEqual(msg);
  });
});

describe('toVmMessage conventions', () => {
  const powerOff = () => expandVersioned('instance-power_off-end.json');
  const mapV = (mutate: (d: Record<string, any>) => void): VmMessage => {
    const s = powerOff();
    mutate(s.payload['nova_object.data']);
    const n = notificationOf(s);
    return toVmMessage(VIM, n, matchSubscriptions(VIM, n, [EVERYTHING])[0]);
  };
  const mapL = (payload: Record<string, unknown>): VmMessage => {
    const n = notificationOf({ event_type: 'compute.instance.power_off.end', publisher_id: 'compute.h', payload });
    return toVmMessage(VIM, n, { subscription: EVERYTHING, event: 'POWER_OFF', phase: 'end' });
  };

  it.each([
    [
      'task_state set',
      (d: any) => {
        d.task_state = 'powering-off';
      },
      'state_description',
      'powering-off',
    ],
    [
      'progress 0',
      (d: any) => {
        d.progress = 0;
      },
      'progress',
      '',
    ],
    [
      'progress 40',
      (d: any) => {
        d.progress = 40;
      },
      'progress',
      40,
    ],
    [
      'volume-backed',
      (d: any) => {
        d.image_uuid = '';
      },
      'image_ref_url',
      null,
    ],
    [
      'created_at with microseconds',
      (d: any) => {
        d.created_at = '2012-10-29T13:42:11.5Z';
      },
      'created_at',
      '2012-10-29 13:42:11.500000+00:00',
    ],
    [
      'launched_at with an offset',
      (d: any) => {
        d.launched_at = '2012-10-29T15:42:11+02:00';
      },
      'launched_at',
      '2012-10-29T13:42:11.000000',
    ],
    [
      'no flavor',
      (d: any) => {
        delete d.flavor;
      },
      'disk_gb',
      null,
    ],
    [
      'no flavor',
      (d: any) => {
        delete d.flavor;
      },
      'instance_type',
      '',
    ],
  ])('versioned: %s -> %s = %j', (_name, mutate, key, value) => {
    const msg = mapV(mutate);
    expect(msg[key as keyof VmMessage]).toEqual(value);
    expect(schemaErrors(msg)).toBe('');
  });

  it("gives a trimmed legacy payload every key, with legacy nova's empty values", () => {
    const msg = mapL({ instance_id: 'i-1', state: 'error', old_state: 'building' });
    expect(schemaErrors(msg)).toBe('');
    expect(msg).toMatchObject({
      instance_id: 'i-1',
      state: 'error',
      created_at: '',
      launched_at: '',
      progress: '',
      cell_name: '',
      memory_mb: null,
      metadata: null,
      image_meta: null,
      host: null,
    });
    expect(msg).not.toHaveProperty('old_state');
  });

  it.each([
    [
      {
        metadata: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
      },
      'metadata',
      { a: '1', b: '2' },
    ],
    [{ metadata: [] }, 'metadata', {}],
    [{ progress: 0 }, 'progress', ''],
    [{ deleted_at: null }, 'deleted_at', ''],
    [{ state_description: null }, 'state_description', ''],
  ])('legacy %j -> %s = %j', (fields, key, value) => {
    const msg = mapL({ instance_id: 'i-1', ...fields });
    expect(msg[key as keyof VmMessage]).toEqual(value);
    expect(schemaErrors(msg)).toBe('');
  });
});

describe('toVmMessage refuses what it cannot map (UNMAPPABLE, naming the field)', () => {
  const legacy = (payload: Record<string, unknown>) =>
    notificationOf({ event_type: 'compute.instance.power_off.end', publisher_id: 'compute.h', payload });
  const asMatch = (event: Match['event']): Match => ({ subscription: EVERYTHING, event, phase: 'end' });
  const cases: Array<[string, () => Notification, Match, string]> = [
    [
      'a versioned ComputeTaskPayload',
      () => notificationOf({ ...expandVersioned('compute_task-build_instances-error.json') }),
      asMatch('ERROR'),
      'ComputeTaskPayload',
    ],
    [
      'a versioned payload without a name',
      () =>
        notificationOf({
          event_type: 'instance.power_off.end',
          publisher_id: 'p',
          payload: { 'nova_object.data': { uuid: 'x' } },
        }),
      asMatch('POWER_OFF'),
      'not an instance payload',
    ],
    [
      'a versioned instance without uuid',
      () => {
        const s = expandVersioned('instance-power_off-end.json');
        delete s.payload['nova_object.data'].uuid;
        return notificationOf(s);
      },
      asMatch('POWER_OFF'),
      'payload.uuid',
    ],
    [
      'a versioned date that is no date',
      () => {
        const s = expandVersioned('instance-power_off-end.json');
        s.payload['nova_object.data'].launched_at = 'soon';
        return notificationOf(s);
      },
      asMatch('POWER_OFF'),
      'payload.launched_at',
    ],
    [
      'a versioned flavor.vcpus string',
      () => {
        const s = expandVersioned('instance-power_off-end.json');
        s.payload['nova_object.data'].flavor['nova_object.data'].vcpus = '1';
        return notificationOf(s);
      },
      asMatch('POWER_OFF'),
      'payload.flavor.vcpus',
    ],
    [
      'a legacy payload without instance_id',
      () => legacy({ state: 'stopped' }),
      asMatch('POWER_OFF'),
      'payload.instance_id',
    ],
    [
      'a legacy memory_mb string',
      () => legacy({ instance_id: 'i', memory_mb: '512' }),
      asMatch('POWER_OFF'),
      'payload.memory_mb',
    ],
    [
      'a legacy metadata string',
      () => legacy({ instance_id: 'i', metadata: 'a=1' }),
      asMatch('POWER_OFF'),
      'payload.metadata',
    ],
    [
      'a legacy created_at that is no date',
      () => legacy({ instance_id: 'i', created_at: 'yesterday' }),
      asMatch('POWER_OFF'),
      'payload.created_at',
    ],
    [
      'a legacy progress of 250',
      () => legacy({ instance_id: 'i', progress: 250 }),
      asMatch('POWER_OFF'),
      'payload.progress',
    ],
    ['a compute-node match', () => legacy({ instance_id: 'i' }), asMatch('COMPUTE_NODE_UPDATE'), 'compute-node'],
  ];
  it.each(cases)('%s', (_name, n, match, mentions) => {
    const notification = n();
    let error: unknown;
    try {
      toVmMessage(VIM, notification, match);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'RelayError', code: 'UNMAPPABLE' });
    expect((error as Error).message).toContain(mentions);
    expect((error as Error).message).toContain(notification.eventType);
  });
});
