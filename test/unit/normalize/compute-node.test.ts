import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { classify } from '../../../src/filter/classify.js';
import { COMPUTE_NODE_STATES, type ComputeNodeState } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import {
  COMPUTE_NODE_KEYS,
  nodeFacts,
  nodeKey,
  toComputeNodeMessage,
  trackedChanged,
  TRACKED_KEYS,
  type NodeFacts,
} from '../../../src/normalize/compute-node.js';
import {
  applyDecision,
  changesMemory,
  decide,
  type NodeDecision,
  type NodeMemory,
} from '../../../src/normalize/compute-node-rule.js';
import { ENVELOPE_KEYS } from '../../../src/normalize/vm-message.js';
import { legacyMetrics, serviceSample, SPEC_NODE, specSample, versionedMetrics } from '../../helpers/compute-node.js';
import { expandVersioned, loadJson, toWireV2, type Sample } from '../../helpers/fixtures.js';

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../../schemas/compute-node-message.schema.json', import.meta.url), 'utf8'),
);
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(SCHEMA);

/** The spec's ComputeNodePayload SCHEMA keys and its note's tracked fields, verbatim. */
const SPEC_KEYS = `id uuid host vcpus memory_mb local_gb vcpus_used memory_mb_used local_gb_used hypervisor_type
hypervisor_version hypervisor_hostname free_ram_mb free_disk_gb current_workload running_vms disk_available_least host_ip`.split(
  /\s+/,
);
const SPEC_TRACKED =
  'vcpus memory_mb local_gb vcpus_used local_gb_used hypervisor_hostname disk_available_least running_vms current_workload'.split(
    ' ',
  );

let seq = 0;
function notificationOf(sample: Sample | Record<string, unknown>): Notification {
  const body =
    'event_type' in sample && !('metadata' in sample)
      ? toWireV2(sample as Sample, { messageId: `m-${++seq}` })
      : sample;
  const r = parseNotification(body);
  if (!r.ok) throw r.error;
  return r.notification;
}

const stateOf = (n: Notification): ComputeNodeState => classify(n)!.state as ComputeNodeState;

describe('compute-node-message.schema.json', () => {
  it('is a valid draft 2020-12 schema requiring exactly the spec keys and the envelope, nothing else', () => {
    expect(SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(SCHEMA.additionalProperties).toBe(false);
    expect([...SCHEMA.required].sort()).toEqual([...SPEC_KEYS, ...ENVELOPE_KEYS].sort());
    expect(Object.keys(SCHEMA.properties).sort()).toEqual([...SCHEMA.required].sort());
  });

  it('agrees with the code: COMPUTE_NODE_KEYS, TRACKED_KEYS and the event vocabulary', () => {
    expect(COMPUTE_NODE_KEYS).toEqual(SPEC_KEYS);
    expect(TRACKED_KEYS).toEqual(SPEC_TRACKED);
    expect(SCHEMA.properties.event.enum).toEqual([...COMPUTE_NODE_STATES]);
  });
});

describe('nodeFacts: what each source form says', () => {
  const metricsFacts = { host: 'compute', host_ip: '10.0.2.15', hypervisor_hostname: 'fake-mini' };
  const ceilometerFacts = { host: 'tianst', host_ip: '10.0.1.1', hypervisor_hostname: 'tianst.sh.intel.com' };
  it.each<[string, () => Sample | Record<string, unknown>, NodeFacts]>([
    [
      'versioned metrics.update (compute-node/)',
      () => loadJson('compute-node/nova-versioned-metrics.update.json'),
      metricsFacts,
    ],
    ['versioned metrics.update (nova-versioned/)', () => expandVersioned('metrics-update.json'), metricsFacts],
    [
      'legacy compute.metrics.update, wire body (host_id)',
      () => loadJson('compute-node/ceilometer-compute.metrics.update.wire.json'),
      ceilometerFacts,
    ],
    [
      'legacy compute.metrics.update, listener view (host_id)',
      () => loadJson('compute-node/ceilometer-compute.metrics.update.listener.json'),
      ceilometerFacts,
    ],
    [
      "legacy compute.metrics.update with merged nova's host_ip",
      () => legacyMetrics({ host_ip: '192.0.2.7' }),
      { ...ceilometerFacts, host_ip: '192.0.2.7' },
    ],
    ["service.create (its uuid is the service's)", () => expandVersioned('service-create.json'), { host: 'host2' }],
    ['service.delete', () => expandVersioned('service-delete.json'), { host: 'host2' }],
    ['spec compute_node.create', () => specSample('compute_node.create', SPEC_NODE), SPEC_NODE],
    [
      'spec compute_node.update with nulls',
      () => specSample('compute_node.update', { ...SPEC_NODE, host_ip: null, disk_available_least: -3 }),
      { ...SPEC_NODE, host_ip: null, disk_available_least: -3 },
    ],
    [
      'spec compute_node.delete (ComputeNodeDeletePayload)',
      () => specSample('compute_node.delete', { id: 1, uuid: SPEC_NODE.uuid }),
      { id: 1, uuid: SPEC_NODE.uuid },
    ],
  ])('%s', (_name, sample, facts) => {
    const n = notificationOf(sample());
    expect(nodeFacts(n)).toEqual(facts);
  });

  it.each<[string, () => Sample, RegExp]>([
    [
      'a service.create whose payload is no ServiceStatusPayload',
      () => ({ ...expandVersioned('instance-power_off-end.json'), event_type: 'service.create' }),
      /InstanceActionPayload.*is not ServiceStatusPayload/,
    ],
    [
      'a compute_node.update with a string vcpus',
      () => specSample('compute_node.update', { ...SPEC_NODE, vcpus: '8' as unknown as number }),
      /payload\.vcpus must be an integer or null; got string/,
    ],
    [
      'a compute_node.update with a fractional memory_mb',
      () => specSample('compute_node.update', { ...SPEC_NODE, memory_mb: 1.5 }),
      /payload\.memory_mb must be an integer/,
    ],
    [
      'a metrics.update with a numeric nodename',
      () => versionedMetrics({ nodename: 7 as unknown as string }),
      /payload\.nodename must be a string or null; got number/,
    ],
    [
      'a versioned compute.metrics.update',
      () => ({ ...versionedMetrics(), event_type: 'compute.metrics.update' }),
      /MetricsPayload.*is not a legacy payload/,
    ],
    ['an instance event', () => expandVersioned('instance-power_off-end.json'), /is not a compute-node event/],
  ])('refuses %s as UNMAPPABLE', (_name, sample, message) => {
    expect(() => nodeFacts(notificationOf(sample()))).toThrow(
      expect.objectContaining({ code: 'UNMAPPABLE', message: expect.stringMatching(message) }),
    );
  });
});

describe('nodeKey and trackedChanged', () => {
  it.each<[NodeFacts, string | null]>([
    [{ hypervisor_hostname: 'n', host: 'h' }, 'n'],
    [{ host: 'h' }, 'h'],
    [{ hypervisor_hostname: null, host: 'h' }, 'h'],
    [{ hypervisor_hostname: '', host: 'h' }, 'h'],
    [{ id: 1, uuid: 'u' }, null],
    [{ host: '' }, null],
  ])('%j -> %s', (facts, key) => {
    expect(nodeKey(facts)).toBe(key);
  });

  it.each(TRACKED_KEYS)('a change of %s is a change', (key) => {
    expect(trackedChanged(SPEC_NODE, { ...SPEC_NODE, [key]: key === 'hypervisor_hostname' ? 'other' : 12345 })).toBe(
      true,
    );
  });

  it.each(COMPUTE_NODE_KEYS.filter((k) => !TRACKED_KEYS.includes(k)))('a change of %s alone is none', (key) => {
    expect(
      trackedChanged(SPEC_NODE, { ...SPEC_NODE, [key]: typeof SPEC_NODE[key] === 'number' ? 12345 : 'other' }),
    ).toBe(false);
  });

  it('treats absent and null alike (nova None), and a tracked value turning null as a change', () => {
    expect(trackedChanged({}, { vcpus: null })).toBe(false);
    expect(trackedChanged({ vcpus: 8 }, { vcpus: null })).toBe(true);
  });
});

/** Feeds samples in order through classify -> nodeFacts -> decide, applying each decision as if published. */
function run(samples: Sample[], memory: NodeMemory = {}): { decisions: NodeDecision[]; memory: NodeMemory } {
  const decisions: NodeDecision[] = [];
  for (const s of samples) {
    const n = notificationOf(s);
    const d = decide(n.eventType, stateOf(n), nodeFacts(n), memory);
    decisions.push(d);
    memory = applyDecision(memory, d);
  }
  return { decisions, memory };
}

const nulls = Object.fromEntries(COMPUTE_NODE_KEYS.map((k) => [k, null]));

describe("decide: the spec's rule over the derived forms (the issue's sequence)", () => {
  const { decisions, memory } = run([
    serviceSample('service-create.json', 'compute'), // 0 create: only the host is known
    versionedMetrics(), // 1 the node's name becomes known: hypervisor_hostname changed
    versionedMetrics(), // 2 unchanged
    legacyMetrics({ host: 'compute', nodename: 'fake-mini', host_ip: '10.0.2.99' }), // 3 host_ip only: untracked
    specSample('compute_node.update', { ...SPEC_NODE, host_ip: '10.0.2.99' }), // 4 spec form: vcpus etc. become known
    specSample('compute_node.update', { ...SPEC_NODE, host_ip: '10.0.2.99', free_ram_mb: 1 }), // 5 untracked only
    serviceSample('service-delete.json', 'compute'), // 6 the service and its node go
  ]);

  it('publishes create, the changed updates and the delete; suppresses the rest', () => {
    expect(decisions.map((d) => d.publish !== null)).toEqual([true, true, false, false, true, false, true]);
  });

  it('creates from the host alone, then names the node when metrics.update says it', () => {
    expect(decisions[0].publish).toEqual({ ...nulls, host: 'compute' });
    expect(decisions[1].publish).toEqual({
      ...nulls,
      host: 'compute',
      host_ip: '10.0.2.15',
      hypervisor_hostname: 'fake-mini',
    });
    expect(decisions[1].remove).toEqual(['compute']); // the host-keyed entry is that node
  });

  it('writes no memory for an unchanged update, and learns an untracked change without publishing it', () => {
    expect(changesMemory(decisions[2])).toBe(false);
    expect(decisions[3].set['fake-mini']?.host_ip).toBe('10.0.2.99');
    expect(decisions[4].publish).toEqual({ ...SPEC_NODE, host_ip: '10.0.2.99' });
    expect(decisions[5].set['fake-mini']?.free_ram_mb).toBe(1);
  });

  it("deletes the host's node, saying what was known of it, and forgets it", () => {
    expect(decisions[6].publish).toEqual({ ...SPEC_NODE, host_ip: '10.0.2.99', free_ram_mb: 1 });
    expect(memory).toEqual({});
  });
});

describe("decide: the spec's own form", () => {
  const known = { 'fake-mini': SPEC_NODE };

  it.each(TRACKED_KEYS.filter((k) => k !== 'hypervisor_hostname'))('publishes an update that changes %s', (key) => {
    const [d] = run([specSample('compute_node.update', { ...SPEC_NODE, [key]: 999 })], known).decisions;
    expect(d.publish).toEqual({ ...SPEC_NODE, [key]: 999 });
  });

  it.each(COMPUTE_NODE_KEYS.filter((k) => !TRACKED_KEYS.includes(k) && k !== 'host'))(
    'suppresses an update that changes only %s, and remembers it',
    (key) => {
      const value = typeof SPEC_NODE[key] === 'number' ? 999 : 'changed';
      const { decisions, memory } = run([specSample('compute_node.update', { ...SPEC_NODE, [key]: value })], known);
      expect(decisions[0].publish).toBeNull();
      expect(memory['fake-mini']).toEqual({ ...SPEC_NODE, [key]: value });
    },
  );

  it('publishes the first update of a node it never saw', () => {
    expect(run([specSample('compute_node.update', SPEC_NODE)]).decisions[0].publish).toEqual(SPEC_NODE);
  });

  it('starts a re-created node afresh: a create does not inherit the old record', () => {
    const { decisions, memory } = run(
      [specSample('compute_node.create', { ...SPEC_NODE, vcpus: 4, host_ip: null })],
      known,
    );
    expect(decisions[0].publish).toEqual({ ...SPEC_NODE, vcpus: 4, host_ip: null });
    expect(memory).toEqual({ 'fake-mini': { ...SPEC_NODE, vcpus: 4, host_ip: null } });
  });

  it('finds the node of a ComputeNodeDeletePayload by uuid, then by id', () => {
    const other = { ...SPEC_NODE, id: 2, uuid: 'b1', hypervisor_hostname: 'other' };
    const byUuid = run([specSample('compute_node.delete', { id: 2, uuid: SPEC_NODE.uuid })], { ...known, other });
    expect(byUuid.decisions[0].publish).toEqual({ ...SPEC_NODE, id: 2 });
    expect(Object.keys(byUuid.memory)).toEqual(['other']);
    const byId = run([specSample('compute_node.delete', { id: 2 })], { ...known, other });
    expect(Object.keys(byId.memory)).toEqual(['fake-mini']);
  });

  it('deletes every node of a host whose service goes (several nodes: only the host is said)', () => {
    const ironic = {
      a: { ...SPEC_NODE, hypervisor_hostname: 'a' },
      b: { ...SPEC_NODE, hypervisor_hostname: 'b' },
      x: { ...SPEC_NODE, host: 'x', hypervisor_hostname: 'x' },
    };
    const { decisions, memory } = run([serviceSample('service-delete.json', 'compute')], ironic);
    expect(decisions[0].publish).toEqual({ ...nulls, host: 'compute' });
    expect(Object.keys(memory)).toEqual(['x']);
  });

  it('publishes the delete of a node it never saw, with what the source says', () => {
    const d = run([specSample('compute_node.delete', { id: 9, uuid: 'u9' })]).decisions[0];
    expect(d.publish).toEqual({ ...nulls, id: 9, uuid: 'u9' });
    expect(d.remove).toEqual([]);
  });

  it.each<[string, Sample, RegExp]>([
    [
      'an update',
      specSample('compute_node.update', { ...SPEC_NODE, hypervisor_hostname: null, host: null }),
      /compute_node\.update: names no compute node/,
    ],
    ['a create', specSample('compute_node.create', { id: 1 }), /compute_node\.create: names no compute node/],
    ['a delete', specSample('compute_node.delete', {}), /compute_node\.delete: names no compute node/],
  ])('refuses %s that names no node as UNMAPPABLE', (_name, sample, message) => {
    expect(() => run([sample])).toThrow(
      expect.objectContaining({ code: 'UNMAPPABLE', message: expect.stringMatching(message) }),
    );
  });
});

describe('toComputeNodeMessage', () => {
  it.each<[string, Sample]>([
    ['service.create', serviceSample('service-create.json', 'compute')],
    ['metrics.update', versionedMetrics()],
    ['compute.metrics.update', legacyMetrics()],
    ['compute_node.create', specSample('compute_node.create', SPEC_NODE)],
    ['compute_node.delete', specSample('compute_node.delete', { id: 1, uuid: SPEC_NODE.uuid })],
  ])('%s: every key, in order, valid against the schema', (_name, sample) => {
    const n = notificationOf(sample);
    const d = decide(n.eventType, stateOf(n), nodeFacts(n), {});
    const msg = toComputeNodeMessage('vio-1', n, stateOf(n), d.publish!);
    expect(Object.keys(msg)).toEqual([...ENVELOPE_KEYS, ...COMPUTE_NODE_KEYS]);
    expect(validate(msg) ? '' : JSON.stringify(validate.errors)).toBe('');
    expect(msg).toMatchObject({
      vim_id: 'vio-1',
      event: stateOf(n),
      event_type: sample.event_type,
      message_id: n.messageId,
      publisher_id: sample.publisher_id,
    });
  });

  it("keeps the listener view's oslo timestamp, as ISO 8601 UTC", () => {
    const n = notificationOf(loadJson('compute-node/ceilometer-compute.metrics.update.listener.json'));
    const msg = toComputeNodeMessage(
      'v',
      n,
      'COMPUTE_NODE_UPDATE',
      decide(n.eventType, 'COMPUTE_NODE_UPDATE', nodeFacts(n), {}).publish!,
    );
    expect(msg).toMatchObject({
      timestamp: '2013-07-29T06:51:34.474815Z',
      message_id: '6eccedba-120e-4db8-9735-2ad5f061e5ee',
      publisher_id: 'compute.tianst.sh.intel.com',
    });
  });
});
