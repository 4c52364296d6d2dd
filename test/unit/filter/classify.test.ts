import { classify } from '../../../src/filter/classify.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import {
  expandVersioned,
  legacySample,
  listLegacySamples,
  listVersionedSamples,
  loadJson,
  toWireV2,
  type Sample,
} from '../../helpers/fixtures.js';

function notificationOf(sample: Sample): Notification {
  const r = parseNotification(Buffer.from(JSON.stringify(toWireV2(sample))));
  if (!r.ok) throw r.error;
  return r.notification;
}

/** `STATE phase` or `STATE phase !` (error) or `- phase` (instance event with no state) ; absent = not classified. COMPUTE_NODE_* are kind compute_node. */
const VERSIONED: Record<string, string> = {
  'instance-create-end.json': 'CREATE end',
  'instance-create-error.json': 'CREATE error !',
  'instance-create-start.json': 'CREATE start',
  'instance-delete-end.json': 'DELETE end',
  'instance-delete-end_compute_down.json': 'DELETE end',
  'instance-delete-end_not_scheduled.json': 'DELETE end',
  'instance-delete-start.json': 'DELETE start',
  'instance-delete-start_compute_down.json': 'DELETE start',
  'instance-delete-start_not_scheduled.json': 'DELETE start',
  'instance-evacuate.json': 'EVACUATE end',
  'instance-exists.json': '- end',
  'instance-interface_attach-end.json': '- end',
  'instance-interface_attach-error.json': '- error !',
  'instance-interface_attach-start.json': '- start',
  'instance-interface_detach-end.json': '- end',
  'instance-interface_detach-start.json': '- start',
  'instance-live_migration_abort-end.json': '- end',
  'instance-live_migration_abort-start.json': '- start',
  'instance-live_migration_force_complete-end.json': '- end',
  'instance-live_migration_force_complete-start.json': '- start',
  'instance-live_migration_post-end.json': '- end',
  'instance-live_migration_post-start.json': '- start',
  'instance-live_migration_post_dest-start.json': 'LIVE_MIGRATE start',
  'instance-live_migration_pre-end.json': '- end',
  'instance-live_migration_pre-start.json': '- start',
  'instance-live_migration_rollback-end.json': '- end',
  'instance-live_migration_rollback-start.json': '- start',
  'instance-live_migration_rollback_dest-end.json': '- end',
  'instance-live_migration_rollback_dest-start.json': '- start',
  'instance-lock-with-reason.json': '- end',
  'instance-lock.json': '- end',
  'instance-pause-end.json': 'PAUSE end',
  'instance-pause-start.json': 'PAUSE start',
  'instance-power_off-end.json': 'POWER_OFF end',
  'instance-power_off-start.json': 'POWER_OFF start',
  'instance-power_on-end.json': 'POWER_ON end',
  'instance-power_on-start.json': 'POWER_ON start',
  'instance-power_on_share-end.json': 'POWER_ON end',
  'instance-power_on_share-start.json': 'POWER_ON start',
  'instance-reboot-end.json': 'REBOOT end',
  'instance-reboot-error.json': 'REBOOT error !',
  'instance-reboot-start.json': 'REBOOT start',
  'instance-rebuild-end.json': 'REBUILD end',
  'instance-rebuild-error.json': 'REBUILD error !',
  'instance-rebuild-start.json': 'REBUILD start',
  'instance-rebuild_scheduled.json': '- end',
  'instance-rescue-end.json': 'RESCUE end',
  'instance-rescue-start.json': 'RESCUE start',
  // versioned nova's resize that completes is resize_finish; instance.resize.* is the source-host half
  'instance-resize-end.json': '- end',
  'instance-resize-error.json': '- error !',
  'instance-resize-start.json': '- start',
  'instance-resize_confirm-end.json': '- end',
  'instance-resize_confirm-start.json': '- start',
  'instance-resize_finish-end.json': 'RESIZE end',
  'instance-resize_finish-start.json': 'RESIZE start',
  'instance-resize_prep-end.json': '- end',
  'instance-resize_prep-start.json': '- start',
  'instance-resize_revert-end.json': '- end',
  'instance-resize_revert-start.json': '- start',
  'instance-restore-start.json': 'RESTORE start',
  'instance-resume-start.json': 'RESUME start',
  'instance-share_attach-end.json': '- end',
  'instance-share_attach-error.json': '- error !',
  'instance-share_attach-start.json': '- start',
  'instance-share_detach-end.json': '- end',
  'instance-share_detach-error.json': '- error !',
  'instance-share_detach-start.json': '- start',
  'instance-shelve-end.json': 'SHELVE end',
  'instance-shelve-start.json': 'SHELVE start',
  'instance-shelve_offload-start.json': 'SHELVE start',
  'instance-shutdown-end.json': 'SHUT_DOWN end',
  'instance-shutdown-start.json': 'SHUT_DOWN start',
  'instance-snapshot-end.json': '- end',
  'instance-snapshot-start.json': '- start',
  'instance-soft_delete-start.json': 'SOFT_DELETE start',
  'instance-suspend-end.json': 'SUSPEND end',
  'instance-suspend-start.json': 'SUSPEND start',
  'instance-trigger_crash_dump-end.json': '- end',
  'instance-trigger_crash_dump-start.json': '- start',
  'instance-unlock.json': '- end',
  'instance-unpause-end.json': 'UNPAUSE end',
  'instance-unpause-start.json': 'UNPAUSE start',
  'instance-unrescue-start.json': 'UNRESCUE start',
  'instance-unshelve-end.json': 'UNSHELVE end',
  'instance-unshelve-start.json': 'UNSHELVE start',
  // the samples' state_update shows no transition (building -> building, task None -> None)
  'instance-update-tags-action.json': '- end',
  'instance-update.json': '- end',
  'instance-volume_attach-end.json': '- end',
  'instance-volume_attach-error.json': '- error !',
  'instance-volume_attach-start.json': '- start',
  'instance-volume_detach-end.json': '- end',
  'instance-volume_detach-start.json': '- start',
  'instance-volume_swap-end.json': '- end',
  'instance-volume_swap-error.json': '- error !',
  'instance-volume_swap-start.json': '- start',
  // derived compute-node events; service.update is not one (it changes no node)
  'metrics-update.json': 'COMPUTE_NODE_UPDATE end',
  'service-create.json': 'COMPUTE_NODE_CREATE end',
  'service-delete.json': 'COMPUTE_NODE_DELETE end',
};

const LEGACY: Record<string, string> = {
  'ceilometer/compute.instance.create.end.json': 'CREATE end',
  'ceilometer/compute.instance.delete.start.json': 'DELETE start',
  'ceilometer/compute.instance.exists-metadata_list.json': '- end',
  'ceilometer/compute.instance.exists.json': '- end',
  'ceilometer/compute.instance.finish_resize.end.json': 'RESIZE end',
  'ceilometer/compute.instance.resize.revert.end.json': '- end',
  'designate/compute.instance.create.end-2.json': 'CREATE end',
  'designate/compute.instance.create.end.json': 'CREATE end',
  'designate/compute.instance.create.start.json': 'CREATE start',
  'designate/compute.instance.delete.start.json': 'DELETE start',
  'designate/compute.instance.shutdown.end.json': 'SHUT_DOWN end',
  'designate/compute.instance.shutdown.start.json': 'SHUT_DOWN start',
  'searchlight/server_group__compute.instance.delete.end.json': 'DELETE end',
  'searchlight/servers__instance-update-error-during-schedule.json': 'UPDATE end', // building -> error
  'searchlight/servers__instance-update-error-final.json': '- end', // error -> error
  'watcher/scenario3_legacy_instance-create-end.json': 'CREATE end',
  'watcher/scenario3_legacy_instance-delete-end.json': 'DELETE end',
  'watcher/scenario3_legacy_instance-rebuild-end.json': 'REBUILD end',
  'watcher/scenario3_legacy_instance-resize-confirm-end.json': '- end',
  'watcher/scenario3_legacy_instance-update.json': '- end', // paused -> paused
  'watcher/scenario3_legacy_livemigration-post-dest-end.json': 'LIVE_MIGRATE end',
  'watcher/scenario3_notfound_legacy_instance-update.json': '- end',
};

function expected(spec: string | undefined): unknown {
  if (spec === undefined) return null;
  const [state, phase, bang] = spec.split(' ');
  const kind = state.startsWith('COMPUTE_NODE_') ? 'compute_node' : 'instance';
  return { kind, state: state === '-' ? null : state, phase, error: bang === '!' };
}

describe('classify: every real fixture', () => {
  it.each(listVersionedSamples())('versioned %s', (file) => {
    expect(classify(notificationOf(expandVersioned(file)))).toEqual(expected(VERSIONED[file]));
  });

  it.each(listLegacySamples())('legacy %s', (rel) => {
    expect(classify(notificationOf(legacySample(rel)))).toEqual(expected(LEGACY[rel]));
  });

  it('knows every fixture the tables above name', () => {
    expect(Object.keys(VERSIONED).filter((f) => !listVersionedSamples().includes(f))).toEqual([]);
    expect(Object.keys(LEGACY).filter((f) => !listLegacySamples().includes(f))).toEqual([]);
  });

  // These used to be left unclassified; they are now derived COMPUTE_NODE_UPDATEs.
  it.each([
    ['compute-node/ceilometer-compute.metrics.update.wire.json'],
    ['compute-node/ceilometer-compute.metrics.update.listener.json'],
    ['compute-node/nova-versioned-metrics.update.json'],
  ])('classifies %s as COMPUTE_NODE_UPDATE', (rel) => {
    const r = parseNotification(loadJson(rel));
    expect(r.ok && classify(r.notification)).toEqual({
      kind: 'compute_node',
      state: 'COMPUTE_NODE_UPDATE',
      phase: 'end',
      error: false,
    });
  });
});

const vio = (): Record<string, unknown> => loadJson('vio/vio-compute.instance-payload-powering-off.json');
const versionedPayload = () => expandVersioned('instance-power_off-end.json').payload;
const legacyPayload = () => legacySample('designate/compute.instance.shutdown.end.json').payload;

describe('classify: every row of the README state table', () => {
  const rows: Array<[string, string, string]> = [
    ['CREATE', 'create.end', 'create.end'],
    ['DELETE', 'delete.end', 'delete.end'],
    ['SOFT_DELETE', 'soft_delete.end', 'soft_delete.end'],
    ['RESTORE', 'restore.end', 'restore.end'],
    ['POWER_OFF', 'power_off.end', 'power_off.end'],
    ['POWER_ON', 'power_on.end', 'power_on.end'],
    ['SHUT_DOWN', 'shutdown.end', 'shutdown.end'],
    ['PAUSE', 'pause.end', 'pause.end'],
    ['UNPAUSE', 'unpause.end', 'unpause.end'],
    ['SUSPEND', 'suspend.end', 'suspend.end'],
    ['RESUME', 'resume.end', 'resume.end'],
    ['REBOOT', 'reboot.end', 'reboot.end'],
    ['REBUILD', 'rebuild.end', 'rebuild.end'],
    ['RESIZE', 'resize.end', 'resize_finish.end'],
    ['RESIZE', 'finish_resize.end', 'resize_finish.end'],
    ['SHELVE', 'shelve.end', 'shelve.end'],
    ['SHELVE', 'shelve_offload.end', 'shelve_offload.end'],
    ['UNSHELVE', 'unshelve.end', 'unshelve.end'],
    ['RESCUE', 'rescue.end', 'rescue.end'],
    ['UNRESCUE', 'unrescue.end', 'unrescue.end'],
    ['LIVE_MIGRATE', 'live_migration.post.dest.end', 'live_migration_post_dest.end'],
  ];
  const phased = rows.flatMap(([state, legacy, versioned]) =>
    (['start', 'end', 'error'] as const).flatMap((phase) => [
      [state, `compute.instance.${legacy.replace(/\.end$/, `.${phase}`)}`, phase, 'legacy'] as const,
      [state, `instance.${versioned.replace(/\.end$/, `.${phase}`)}`, phase, 'versioned'] as const,
    ]),
  );

  it.each(phased)('%s <- %s', (state, eventType, phase, format) => {
    const payload = format === 'legacy' ? legacyPayload() : versionedPayload();
    const priority = phase === 'error' ? 'ERROR' : 'INFO';
    const c = classify(notificationOf({ event_type: eventType, publisher_id: 'p', priority, payload }));
    expect(c).toEqual({ kind: 'instance', state, phase, error: phase === 'error' });
  });

  it.each([
    ['compute.instance.evacuate', 'EVACUATE'],
    ['instance.evacuate', 'EVACUATE'],
    ['compute.instance.evacuate.end', null],
    ['compute.instance.power_off', null],
    ['instance.create', null],
    ['compute.instance.resize.confirm.end', null],
    ['instance.resize.end', null],
    ['compute.instance.resize_finish.end', null],
    ['compute.instance.live_migration_post_dest.end', null],
    ['instance.live_migration.post.dest.end', null],
  ])('%s -> %s', (eventType, state) => {
    const payload = eventType.startsWith('compute.') ? legacyPayload() : versionedPayload();
    expect(classify(notificationOf({ event_type: eventType, publisher_id: 'p', payload }))?.state).toBe(state);
  });

  it.each([
    ['compute_node.create', 'COMPUTE_NODE_CREATE'],
    ['compute_node.update', 'COMPUTE_NODE_UPDATE'],
    ['compute_node.delete', 'COMPUTE_NODE_DELETE'],
  ])('%s -> %s', (eventType, state) => {
    const c = classify(
      notificationOf({ event_type: eventType, publisher_id: 'nova-compute:h', payload: { host: 'h' } }),
    );
    expect(c).toEqual({ kind: 'compute_node', state, phase: 'end', error: false });
  });

  // compute.metrics.update and metrics.update left this list: they are derived COMPUTE_NODE_UPDATEs now.
  it.each([
    'compute_node.create.end',
    'service.create',
    'service.delete',
    'service.update',
    'constructor',
    '__proto__',
    'toString',
  ])('does not classify %s', (eventType) => {
    expect(classify(notificationOf({ event_type: eventType, publisher_id: 'p', payload: {} }))).toBeNull();
  });

  it.each([
    ['service.create', 'nova-compute', 'COMPUTE_NODE_CREATE'],
    ['service.delete', 'nova-compute', 'COMPUTE_NODE_DELETE'],
    ['service.create', 'nova-scheduler', null],
    ['service.delete', 'nova-conductor', null],
    ['service.update', 'nova-compute', null],
    ['compute.metrics.update', undefined, 'COMPUTE_NODE_UPDATE'],
    ['metrics.update', undefined, 'COMPUTE_NODE_UPDATE'],
  ])('%s of binary %s -> %s', (eventType, binary, state) => {
    const s = expandVersioned('service-create.json');
    if (binary === undefined) delete s.payload['nova_object.data'].binary;
    else s.payload['nova_object.data'].binary = binary;
    const c = classify(notificationOf({ ...s, event_type: eventType }));
    expect(c).toEqual(state === null ? null : { kind: 'compute_node', state, phase: 'end', error: false });
  });

  it('treats a legacy instance notification sent with priority ERROR as an error', () => {
    const c = classify(
      notificationOf({
        event_type: 'compute.instance.create.start',
        publisher_id: 'compute.h',
        priority: 'error',
        payload: legacyPayload(),
      }),
    );
    expect(c).toEqual({ kind: 'instance', state: 'CREATE', phase: 'start', error: true });
  });

  it('classifies the VIO payload as legacy power_off.start', () => {
    const c = classify(
      notificationOf({
        event_type: 'compute.instance.power_off.start',
        publisher_id: 'compute.compute01',
        payload: vio(),
      }),
    );
    expect(c).toEqual({ kind: 'instance', state: 'POWER_OFF', phase: 'start', error: false });
  });
});

describe('classify: UPDATE only when a state changed', () => {
  const legacyUpdate = (fields: Record<string, unknown>) => {
    const base = legacySample('watcher/scenario3_legacy_instance-update.json');
    return classify(notificationOf({ ...base, payload: { ...base.payload, ...fields } }))?.state ?? null;
  };
  it.each([
    [{ state: 'paused', old_state: 'active' }, 'UPDATE'],
    [{ old_task_state: null, new_task_state: 'pausing' }, 'UPDATE'],
    [{ old_task_state: 'pausing', new_task_state: null }, 'UPDATE'],
    [{ old_task_state: null, new_task_state: null }, null],
    [{ old_state: 'paused' }, null],
  ])('legacy %j -> %s', (fields, state) => {
    expect(legacyUpdate(fields)).toBe(state);
  });

  it('ignores a legacy update without the old_* fields (nothing shows a transition)', () => {
    const {
      old_state: _s,
      old_task_state: _o,
      new_task_state: _n,
      ...payload
    } = legacySample('watcher/scenario3_legacy_instance-update.json').payload;
    expect(
      classify(notificationOf({ event_type: 'compute.instance.update', publisher_id: 'p', payload }))?.state,
    ).toBeNull();
  });

  const versionedUpdate = (su: Record<string, unknown> | null) => {
    const s = expandVersioned('instance-update.json');
    const data = s.payload['nova_object.data'];
    if (su === null) delete data.state_update;
    else Object.assign(data.state_update['nova_object.data'], su);
    return classify(notificationOf(s))?.state ?? null;
  };
  it.each([
    [{ old_state: 'building', state: 'active' }, 'UPDATE'],
    [{ old_task_state: 'spawning', new_task_state: null }, 'UPDATE'],
    [{ old_task_state: null, new_task_state: 'scheduling' }, 'UPDATE'],
    [{}, null],
    [null, null],
  ])('versioned state_update %j -> %s', (su, state) => {
    expect(versionedUpdate(su)).toBe(state);
  });
});
