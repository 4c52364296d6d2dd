import { matchSubscriptions, normalizeStates } from '../../../src/filter/match.js';
import type { Phase, Subscription } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import { expandVersioned, legacySample, loadJson, toWireV1, type Sample } from '../../helpers/fixtures.js';

function notificationOf(sample: Sample): Notification {
  const r = parseNotification(toWireV1(sample));
  if (!r.ok) throw r.error;
  return r.notification;
}

const VIM = 'vio-1';
const sub = (id: string, states: string[], phases?: Phase[], vimId = VIM): Subscription => ({
  id,
  vimId,
  states,
  topic: `T_${id}`,
  ...(phases ? { phases } : {}),
});

const V = (f: string) => expandVersioned(f);
const L = (f: string) => legacySample(f);
const VIO = (): Sample => ({
  event_type: 'compute.instance.power_off.start',
  publisher_id: 'compute.compute01',
  priority: 'INFO',
  payload: loadJson('vio/vio-compute.instance-payload-powering-off.json'),
});
const legacyError = (): Sample => ({
  ...L('designate/compute.instance.create.start.json'),
  event_type: 'compute.instance.create.error',
  priority: 'ERROR',
});
const changedUpdate = (): Sample => {
  const s = V('instance-update.json');
  s.payload['nova_object.data'].state_update['nova_object.data'].state = 'active';
  return s;
};

/** [fixture, subscription states, phases, expected event ('' = no match)] */
const MATRIX: Array<[string, () => Sample, string[], Phase[] | undefined, string]> = [
  ['v power_off.end', () => V('instance-power_off-end.json'), ['POWER_OFF'], undefined, 'POWER_OFF'],
  ['v power_off.end', () => V('instance-power_off-end.json'), ['power_off'], undefined, 'POWER_OFF'],
  ['v power_off.end', () => V('instance-power_off-end.json'), ['POWER_ON', 'DELETE'], undefined, ''],
  ['v power_off.end', () => V('instance-power_off-end.json'), ['POWER_OFF'], ['start'], ''],
  ['v power_off.end', () => V('instance-power_off-end.json'), ['POWER_OFF'], ['start', 'end'], 'POWER_OFF'],
  ['v power_off.end', () => V('instance-power_off-end.json'), ['*'], undefined, 'POWER_OFF'],
  ['v power_off.start', () => V('instance-power_off-start.json'), ['POWER_OFF'], undefined, ''],
  ['v power_off.start', () => V('instance-power_off-start.json'), ['POWER_OFF'], ['start'], 'POWER_OFF'],
  ['v power_off.start', () => V('instance-power_off-start.json'), ['*'], undefined, ''],
  ['v power_off.start', () => V('instance-power_off-start.json'), ['*'], ['start'], 'POWER_OFF'],
  ['v delete.end', () => V('instance-delete-end.json'), ['POWER_OFF', 'DELETE'], undefined, 'DELETE'],
  ['v delete.end (compute down)', () => V('instance-delete-end_compute_down.json'), ['delete'], undefined, 'DELETE'],
  ['v create.end', () => V('instance-create-end.json'), ['CREATE'], [], 'CREATE'],
  ['v create.error', () => V('instance-create-error.json'), ['CREATE'], undefined, ''],
  ['v create.error', () => V('instance-create-error.json'), ['CREATE'], ['error'], 'CREATE'],
  ['v create.error', () => V('instance-create-error.json'), ['ERROR'], undefined, 'ERROR'],
  ['v create.error', () => V('instance-create-error.json'), ['CREATE', 'ERROR'], ['error'], 'ERROR'],
  ['v create.error', () => V('instance-create-error.json'), ['ERROR'], ['start'], 'ERROR'],
  ['v create.error', () => V('instance-create-error.json'), ['*'], undefined, 'ERROR'],
  ['v volume_swap.error', () => V('instance-volume_swap-error.json'), ['error'], undefined, 'ERROR'],
  ['v volume_swap.error', () => V('instance-volume_swap-error.json'), ['CREATE'], ['error'], ''],
  [
    'v compute_task.build_instances.error',
    () => V('compute_task-build_instances-error.json'),
    ['*'],
    ['start', 'end', 'error'],
    '',
  ],
  ['v compute.exception', () => V('compute-exception.json'), ['ERROR'], undefined, ''],
  ['v evacuate', () => V('instance-evacuate.json'), ['EVACUATE'], undefined, 'EVACUATE'],
  ['v evacuate', () => V('instance-evacuate.json'), ['EVACUATE'], ['start'], ''],
  ['v resize_finish.end', () => V('instance-resize_finish-end.json'), ['RESIZE'], undefined, 'RESIZE'],
  ['v resize.end', () => V('instance-resize-end.json'), ['RESIZE'], undefined, ''],
  ['v update (no change)', () => V('instance-update.json'), ['UPDATE'], undefined, ''],
  ['v update (no change)', () => V('instance-update.json'), ['*'], ['start', 'end', 'error'], ''],
  ['v update (building -> active)', changedUpdate, ['UPDATE'], undefined, 'UPDATE'],
  ['v lock', () => V('instance-lock.json'), ['*'], ['start', 'end', 'error'], ''],
  ['v aggregate.create.end', () => V('aggregate-create-end.json'), ['*'], undefined, ''],
  // service.create of nova-compute used to match nothing; it is now a derived COMPUTE_NODE_CREATE
  ['v service.create', () => V('service-create.json'), ['*'], undefined, 'COMPUTE_NODE_CREATE'],
  ['v service.create', () => V('service-create.json'), ['CREATE'], undefined, ''],
  ['v service.update', () => V('service-update.json'), ['*'], undefined, ''],
  ['l create.end', () => L('designate/compute.instance.create.end.json'), ['CREATE'], undefined, 'CREATE'],
  ['l create.start', () => L('designate/compute.instance.create.start.json'), ['CREATE'], undefined, ''],
  ['l create.start', () => L('designate/compute.instance.create.start.json'), ['CREATE'], ['start'], 'CREATE'],
  ['l shutdown.end', () => L('designate/compute.instance.shutdown.end.json'), ['SHUT_DOWN'], undefined, 'SHUT_DOWN'],
  [
    'l finish_resize.end',
    () => L('ceilometer/compute.instance.finish_resize.end.json'),
    ['resize'],
    undefined,
    'RESIZE',
  ],
  ['l resize.revert.end', () => L('ceilometer/compute.instance.resize.revert.end.json'), ['RESIZE'], undefined, ''],
  ['l exists', () => L('ceilometer/compute.instance.exists.json'), ['*'], ['start', 'end', 'error'], ''],
  [
    'l live_migration.post.dest.end',
    () => L('watcher/scenario3_legacy_livemigration-post-dest-end.json'),
    ['LIVE_MIGRATE'],
    undefined,
    'LIVE_MIGRATE',
  ],
  [
    'l update building -> error',
    () => L('searchlight/servers__instance-update-error-during-schedule.json'),
    ['UPDATE'],
    undefined,
    'UPDATE',
  ],
  [
    'l update error -> error',
    () => L('searchlight/servers__instance-update-error-final.json'),
    ['UPDATE'],
    undefined,
    '',
  ],
  ['l update paused -> paused', () => L('watcher/scenario3_legacy_instance-update.json'), ['*'], undefined, ''],
  ['l create.error (priority ERROR)', legacyError, ['ERROR'], undefined, 'ERROR'],
  ['l create.error (priority ERROR)', legacyError, ['CREATE'], ['error'], 'CREATE'],
  ['l scheduler.run_instance.end', () => L('designate/scheduler.run_instance.end.json'), ['*'], undefined, ''],
  ['l network.floating_ip.allocate', () => L('designate/network.floating_ip.allocate.json'), ['ERROR'], undefined, ''],
  ['VIO power_off.start', VIO, ['POWER_OFF'], ['start'], 'POWER_OFF'],
  ['VIO power_off.start', VIO, ['POWER_OFF'], undefined, ''],
];

describe('matchSubscriptions: one subscription at a time', () => {
  it.each(MATRIX)('%s x %j phases %j -> %j', (_name, sample, states, phases, event) => {
    const n = notificationOf(sample());
    const s = sub('s', states, phases);
    const matches = matchSubscriptions(VIM, n, [s]);
    if (event === '') expect(matches).toEqual([]);
    else expect(matches).toEqual([{ subscription: s, event, phase: matches[0].phase }]);
  });

  it.each([
    ['instance-power_off-start.json', 'start'],
    ['instance-power_off-end.json', 'end'],
    ['instance-create-error.json', 'error'],
    ['instance-evacuate.json', 'end'],
  ])('reports the phase of %s as %s', (file, phase) => {
    const [m] = matchSubscriptions(VIM, notificationOf(V(file)), [sub('s', ['*'], ['start', 'end', 'error'])]);
    expect(m?.phase).toBe(phase);
  });
});

describe('matchSubscriptions: several subscriptions', () => {
  const n = notificationOf(V('instance-power_off-end.json'));

  it('returns one match per matching subscription, in subscription order', () => {
    const subs = [sub('a', ['POWER_OFF']), sub('b', ['DELETE']), sub('c', ['*']), sub('d', ['POWER_OFF', 'POWER_ON'])];
    expect(matchSubscriptions(VIM, n, subs).map((m) => [m.subscription.id, m.event])).toEqual([
      ['a', 'POWER_OFF'],
      ['c', 'POWER_OFF'],
      ['d', 'POWER_OFF'],
    ]);
  });

  it('ignores subscriptions of other VIMs', () => {
    expect(
      matchSubscriptions(VIM, n, [sub('x', ['*'], undefined, 'vio-2'), sub('y', ['*'], undefined, 'VIO-1')]),
    ).toEqual([]);
  });

  it('matches nothing without subscriptions', () => {
    expect(matchSubscriptions(VIM, n, [])).toEqual([]);
  });

  it('routes compute_node.* to COMPUTE_NODE_* subscriptions and "*"', () => {
    const node = notificationOf({
      event_type: 'compute_node.update',
      publisher_id: 'nova-compute:h',
      payload: { host: 'h' },
    });
    const subs = [
      sub('a', ['COMPUTE_NODE_UPDATE']),
      sub('b', ['compute_node_create']),
      sub('c', ['*']),
      sub('d', ['UPDATE']),
    ];
    expect(matchSubscriptions(VIM, node, subs).map((m) => [m.subscription.id, m.event, m.phase])).toEqual([
      ['a', 'COMPUTE_NODE_UPDATE', 'end'],
      ['c', 'COMPUTE_NODE_UPDATE', 'end'],
    ]);
  });
});

describe('normalizeStates', () => {
  it.each([
    [['power_off', 'Delete '], ['POWER_OFF', 'DELETE'], []],
    [['POWER_OFF', 'power_off'], ['POWER_OFF'], []],
    [['*'], ['*'], []],
    [['create', '*'], ['*'], []],
    [['compute_node_update', 'error'], ['COMPUTE_NODE_UPDATE', 'ERROR'], []],
    [['POWEROFF', 'create', 'shutdown', ''], ['CREATE'], ['POWEROFF', 'shutdown', '']],
    [[], [], []],
  ])('%j -> %j, unknown %j', (input, states, unknown) => {
    expect(normalizeStates(input)).toEqual({ states, unknown });
  });

  it('names non-string items as unknown instead of throwing', () => {
    expect(normalizeStates([1, null, 'create'])).toEqual({ states: ['CREATE'], unknown: ['1', 'null'] });
  });
});
