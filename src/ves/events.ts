/**
 * VES 7.2 fault events (pure). MultiCloud's eventNames are kept (Holmes rules and dashboards
 * match on them); the rest is what VES 7.2 requires and what an operator needs to know what
 * happened. Every event built here validates against schemas/ves/ (a unit test checks).
 *
 * eventId is derived, not random: an onset sent again after a crash between the collector's 202
 * and the store's write carries the same eventId, so a collector or Holmes can tell it is the
 * same event. Onset and clear still differ (Holmes requires every eventId to be unique).
 */
import type { VmFacts } from './fault-rule.js';
import type { AlarmRecord } from '../model/ves.js';

export const VM_FAILURE = 'Fault_MultiCloud_VMFailure';
export const VM_FAILURE_CLEARED = 'Fault_MultiCloud_VMFailureCleared';
export const VIM_UNREACHABLE = 'Fault_MultiCloud_VIMUnreachable';
export const VIM_UNREACHABLE_CLEARED = 'Fault_MultiCloud_VIMUnreachableCleared';

/** MultiCloud's onset condition; the clear repeats it, as VES correlates a clear by condition and source. */
const VM_CONDITION = 'Guest_Os_Failure';
const VIM_CONDITION = 'Vim_Unreachable';

export interface VesFaultEvent {
  readonly commonEventHeader: {
    readonly domain: 'fault';
    readonly eventId: string;
    readonly eventName: string;
    readonly eventType: string;
    readonly priority: 'High' | 'Normal';
    readonly reportingEntityName: string;
    readonly sourceId: string;
    readonly sourceName: string;
    readonly sequence: number;
    readonly startEpochMicrosec: number;
    readonly lastEpochMicrosec: number;
    readonly version: '4.1';
    readonly vesEventListenerVersion: '7.2.1';
  };
  readonly faultFields: {
    readonly faultFieldsVersion: '4.0';
    readonly eventSeverity: 'CRITICAL' | 'NORMAL';
    readonly eventSourceType: string;
    readonly alarmCondition: string;
    readonly specificProblem: string;
    readonly vfStatus: 'Active';
    readonly alarmAdditionalInformation: Record<string, string>;
  };
}

/** The alarm an accepted onset opens: what the store keeps and the clear repeats. */
export function alarmOf(
  event: VesFaultEvent,
  facts: { state: string; eventType: string; messageId: string },
): AlarmRecord {
  const h = event.commonEventHeader;
  return {
    eventId: h.eventId,
    startEpochMicrosec: h.startEpochMicrosec,
    sequence: h.sequence,
    state: facts.state,
    eventType: facts.eventType,
    messageId: facts.messageId,
    sourceName: h.sourceName,
  };
}

function vmInfo(vm: VmFacts): Record<string, string> {
  return {
    vim_id: vm.vimId,
    tenant_id: vm.tenantId,
    instance_id: vm.instanceId,
    vm_state: vm.vmState,
    event_type: vm.eventType,
    message_id: vm.messageId,
    host: vm.host,
  };
}

export function vmOnset(vm: VmFacts): VesFaultEvent {
  const start = vm.atMicros;
  return {
    commonEventHeader: header(
      VM_FAILURE,
      'High',
      `${vm.vimId}:${vm.instanceId}:${start}:0`,
      vm.vimId,
      vm.instanceId,
      vm.displayName,
      0,
      start,
      start,
    ),
    faultFields: fields(
      'CRITICAL',
      'virtualMachine',
      VM_CONDITION,
      `VM ${vm.displayName} is ${vm.vmState} (${vm.eventType})`,
      vmInfo(vm),
    ),
  };
}

export function vmClear(vm: VmFacts, alarm: AlarmRecord): VesFaultEvent {
  const sequence = alarm.sequence + 1;
  const what = vm.vmState === 'deleted' ? 'was deleted' : `is ${vm.vmState} again`;
  return {
    commonEventHeader: header(
      VM_FAILURE_CLEARED,
      'Normal',
      `${alarm.eventId.replace(/:\d+$/, '')}:${sequence}`,
      vm.vimId,
      vm.instanceId,
      alarm.sourceName,
      sequence,
      alarm.startEpochMicrosec,
      Math.max(vm.atMicros, alarm.startEpochMicrosec),
    ),
    faultFields: fields(
      'NORMAL',
      'virtualMachine',
      VM_CONDITION,
      `VM ${alarm.sourceName} ${what} (${vm.eventType}); it was ${alarm.state} since ${alarm.eventType}`,
      { ...vmInfo(vm), onset_event_id: alarm.eventId },
    ),
  };
}

export interface VimFacts {
  readonly vimId: string;
  /** When the VIM's listener became UNREACHABLE, µs. */
  readonly sinceMicros: number;
  /** Why, secrets redacted. */
  readonly reason: string;
  readonly atMicros: number;
}

function vimInfo(v: VimFacts, status: string): Record<string, string> {
  return { vim_id: v.vimId, status, reason: v.reason };
}

export function vimOnset(v: VimFacts, unreachableAfterMs: number): VesFaultEvent {
  const start = v.sinceMicros;
  return {
    commonEventHeader: header(
      VIM_UNREACHABLE,
      'High',
      `${v.vimId}:vim:${start}:0`,
      v.vimId,
      v.vimId,
      v.vimId,
      0,
      start,
      v.atMicros,
    ),
    faultFields: fields(
      'CRITICAL',
      'VIM',
      VIM_CONDITION,
      `VIM ${v.vimId}'s message broker has been unreachable for over ${Math.round(unreachableAfterMs / 1000)} s: ${v.reason}`,
      vimInfo(v, 'UNREACHABLE'),
    ),
  };
}

export function vimClear(v: VimFacts, alarm: AlarmRecord): VesFaultEvent {
  const sequence = alarm.sequence + 1;
  return {
    commonEventHeader: header(
      VIM_UNREACHABLE_CLEARED,
      'Normal',
      `${alarm.eventId.replace(/:\d+$/, '')}:${sequence}`,
      v.vimId,
      v.vimId,
      v.vimId,
      sequence,
      alarm.startEpochMicrosec,
      Math.max(v.atMicros, alarm.startEpochMicrosec),
    ),
    faultFields: fields('NORMAL', 'VIM', VIM_CONDITION, `VIM ${v.vimId}'s message broker is reachable again`, {
      ...vimInfo(v, 'REACHABLE'),
      onset_event_id: alarm.eventId,
    }),
  };
}

function header(
  eventName: string,
  priority: 'High' | 'Normal',
  eventId: string,
  vimId: string,
  sourceId: string,
  sourceName: string,
  sequence: number,
  startEpochMicrosec: number,
  lastEpochMicrosec: number,
): VesFaultEvent['commonEventHeader'] {
  return {
    domain: 'fault',
    eventId,
    eventName,
    eventType: 'MultiCloud',
    priority,
    reportingEntityName: vimId,
    sourceId,
    sourceName,
    sequence,
    startEpochMicrosec,
    lastEpochMicrosec,
    version: '4.1',
    vesEventListenerVersion: '7.2.1',
  };
}

function fields(
  eventSeverity: 'CRITICAL' | 'NORMAL',
  eventSourceType: string,
  alarmCondition: string,
  specificProblem: string,
  alarmAdditionalInformation: Record<string, string>,
): VesFaultEvent['faultFields'] {
  return {
    faultFieldsVersion: '4.0',
    eventSeverity,
    eventSourceType,
    alarmCondition,
    specificProblem,
    vfStatus: 'Active',
    alarmAdditionalInformation,
  };
}
