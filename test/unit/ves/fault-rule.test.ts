/** The fault rule over real nova notifications, legacy and versioned. */
import { decideFault, isoToMicros, type FaultDecision } from '../../../src/ves/fault-rule.js';
import type { AlarmRecord, VesAgentRecord } from '../../../src/model/ves.js';
import type { Notification } from '../../../src/notifications/types.js';
import { AT_MICROS, agent, backlog, legacy, versioned, wirePowerOff } from './support.js';

const VIM = 'vio-1';
// InstancePayload.json of nova's versioned samples.
const V_TENANT = '6f70656e737461636b20342065766572';
const V_UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';
const OPEN: AlarmRecord = {
  eventId: `${VIM}:x:1:0`,
  startEpochMicrosec: 1,
  sequence: 0,
  state: 'stopped',
  eventType: 'instance.power_off.end',
  messageId: 'm0',
  sourceName: 'some-server',
};

const kind = (d: FaultDecision): string => d.kind;

describe('no alarm open: which notifications raise an onset', () => {
  it.each<[string, () => Notification, string, string]>([
    ['versioned power_off.end', () => versioned('instance-power_off-end.json'), 'onset', 'stopped'],
    ['versioned pause.end', () => versioned('instance-pause-end.json'), 'onset', 'paused'],
    ['versioned suspend.end', () => versioned('instance-suspend-end.json'), 'onset', 'suspended'],
    ['versioned shelve.end', () => versioned('instance-shelve-end.json'), 'onset', 'shelved'],
    ['versioned rescue.end', () => versioned('instance-rescue-end.json'), 'onset', 'rescued'],
    ['legacy power_off.end (oslo wire capture)', wirePowerOff, 'onset', 'stopped'],
    [
      'legacy update to error (searchlight)',
      () => legacy('searchlight/servers__instance-update-error-final.json'),
      'onset',
      'error',
    ],
    [
      'legacy update to paused (watcher)',
      () => legacy('watcher/scenario3_legacy_instance-update.json'),
      'onset',
      'paused',
    ],
    [
      'legacy finish_resize.end, resized (ceilometer)',
      () => legacy('ceilometer/compute.instance.finish_resize.end.json'),
      'onset',
      'resized',
    ],
    ['versioned create.end (active)', () => versioned('instance-create-end.json'), 'none', ''],
    ['versioned delete.end (deleted)', () => versioned('instance-delete-end.json'), 'none', ''],
    ['legacy create.start (building)', () => legacy('designate/compute.instance.create.start.json'), 'none', ''],
    ['legacy exists (active, audit)', () => legacy('ceilometer/compute.instance.exists.json'), 'none', ''],
    ['versioned keypair.create.end (not an instance)', () => versioned('keypair-create-end.json'), 'none', ''],
    [
      'legacy scheduler.run_instance.start (not an instance)',
      () => legacy('designate/scheduler.run_instance.start.json'),
      'none',
      '',
    ],
  ])('%s', (_name, n, expected, state) => {
    const d = decideFault({ vimId: VIM, agent: agent(), n: n(), alarm: undefined });
    expect(kind(d)).toBe(expected);
    if (d.kind === 'onset') expect(d.vm.vmState).toBe(state);
  });

  it('reads the VM from a versioned payload: ids, name, tenant, host, the notification time in µs', () => {
    const d = decideFault({
      vimId: VIM,
      agent: agent(),
      n: versioned('instance-power_off-end.json', 'mid-1'),
      alarm: undefined,
    });
    expect(d.kind).toBe('onset');
    if (d.kind !== 'onset') return;
    expect(d.vm).toEqual({
      vimId: VIM,
      instanceId: V_UUID,
      displayName: 'some-server',
      tenantId: V_TENANT,
      vmState: 'stopped',
      host: 'compute',
      eventType: 'instance.power_off.end',
      messageId: 'mid-1',
      atMicros: AT_MICROS,
    });
  });

  it('reads the VM from the legacy wire capture, with its microseconds', () => {
    const d = decideFault({ vimId: VIM, agent: agent(), n: wirePowerOff(), alarm: undefined });
    if (d.kind !== 'onset') throw new Error(`expected an onset, got ${d.kind}`);
    expect(d.vm).toMatchObject({
      instanceId: '3eb13b90-4668-4257-bdd6-40fb06671ad1',
      displayName: 'vm-0000',
      host: 'host1',
      tenantId: '7432d1026706d7e805da846a32c3bb81',
    });
    expect(d.vm.atMicros).toBe(Date.UTC(2026, 10, 22, 0, 30, 10) * 1000 + 462085);
  });

  it('a VM without a display name is named by its instance id', () => {
    const d = decideFault({
      vimId: VIM,
      agent: agent(),
      n: legacy('searchlight/servers__instance-update-error-final.json'),
      alarm: undefined,
    });
    if (d.kind !== 'onset') throw new Error(`expected an onset, got ${d.kind}`);
    expect(d.vm.displayName).toBe(d.vm.instanceId);
  });
});

describe('backlog selection', () => {
  const n = () => versioned('instance-power_off-end.json');
  it.each<[string, VesAgentRecord | undefined, string]>([
    ['no VES agent configuration', undefined, 'none'],
    ['no backlog at all', agent([]), 'none'],
    ['tenant absent: every tenant', agent([backlog()]), 'onset'],
    ['tenant "*": every tenant', agent([backlog({ tenant: '*' })]), 'onset'],
    ['the tenant_id', agent([backlog({ tenant: V_TENANT })]), 'onset'],
    ['another tenant', agent([backlog({ tenant: 'other-tenant' })]), 'none'],
    ['source = display_name', agent([backlog({ tenant: V_TENANT, source: 'some-server' })]), 'onset'],
    ['source = instance id', agent([backlog({ source: V_UUID })]), 'onset'],
    ['another source', agent([backlog({ source: 'other-vm' })]), 'none'],
    ['the tenant but another source', agent([backlog({ tenant: V_TENANT, source: 'other-vm' })]), 'none'],
    [
      'a second backlog selects it',
      agent([backlog({ source: 'other-vm' }), backlog({ backlog_uuid: 'b2', source: 'some-server' })]),
      'onset',
    ],
  ])('%s', (_name, a, expected) => {
    expect(kind(decideFault({ vimId: VIM, agent: a, n: n(), alarm: undefined }))).toBe(expected);
  });

  it('reports the backlog that selected the VM', () => {
    const d = decideFault({
      vimId: VIM,
      agent: agent([backlog({ source: 'x' }), backlog({ backlog_uuid: 'b2', source: 'some-server' })]),
      n: n(),
      alarm: undefined,
    });
    expect(d.kind === 'onset' && d.backlog.backlog_uuid).toBe('b2');
  });
});

describe('an alarm open: which notifications clear it', () => {
  it.each<[string, () => Notification, string, string]>([
    ['versioned power_on.end (active)', () => versioned('instance-power_on-end.json'), 'clear', 'active'],
    ['versioned unpause.end (active)', () => versioned('instance-unpause-end.json'), 'clear', 'active'],
    ['versioned delete.end', () => versioned('instance-delete-end.json'), 'clear', 'deleted'],
    [
      'legacy delete.end (watcher)',
      () => legacy('watcher/scenario3_legacy_instance-delete-end.json'),
      'clear',
      'deleted',
    ],
    [
      'legacy rebuild.end (active)',
      () => legacy('watcher/scenario3_legacy_instance-rebuild-end.json'),
      'clear',
      'active',
    ],
    ['versioned pause.end: still in fault', () => versioned('instance-pause-end.json'), 'none', ''],
    ['versioned power_off.end again: no second onset', () => versioned('instance-power_off-end.json'), 'none', ''],
    [
      'legacy create.start (building): not recovered yet',
      () => legacy('designate/compute.instance.create.start.json'),
      'none',
      '',
    ],
  ])('%s', (_name, n, expected, state) => {
    const d = decideFault({ vimId: VIM, agent: agent(), n: n(), alarm: OPEN });
    expect(kind(d)).toBe(expected);
    if (d.kind === 'clear') {
      expect(d.vm.vmState).toBe(state);
      expect(d.alarm).toBe(OPEN);
    }
  });

  it('clears even when the backlogs no longer select the VM (the collector still holds the alarm)', () => {
    expect(
      kind(
        decideFault({
          vimId: VIM,
          agent: agent([backlog({ source: 'other-vm' })]),
          n: versioned('instance-power_on-end.json'),
          alarm: OPEN,
        }),
      ),
    ).toBe('clear');
  });
});

describe('isoToMicros', () => {
  it.each<[string, number | undefined]>([
    ['2016-03-31T14:44:15.671326Z', Date.UTC(2016, 2, 31, 14, 44, 15) * 1000 + 671326],
    ['2016-03-31T14:44:15Z', Date.UTC(2016, 2, 31, 14, 44, 15) * 1000],
    ['2016-03-31T14:44:15.5Z', Date.UTC(2016, 2, 31, 14, 44, 15) * 1000 + 500000],
    ['', undefined],
    ['2016-03-31 14:44:15', undefined],
  ])('%s', (iso, micros) => {
    expect(isoToMicros(iso)).toBe(micros);
  });
});
