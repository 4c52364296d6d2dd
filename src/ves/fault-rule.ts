/**
 * The VM fault rule (pure): a notification about a VM, the VIM's VES agent configuration and the
 * VM's open alarm (if any) -> raise an onset, send the clear, or nothing.
 *
 * - A VM is selected when a fault/vm backlog's tenant matches its tenant_id (absent or "*" =
 *   any) and the backlog's source matches its display_name or instance_id (absent = any).
 * - A selected VM whose vm_state is neither active nor building is in fault: with no open
 *   alarm, that raises the onset. Nova's vm_state (not the API's status) is what notifications
 *   carry: stopped, paused, suspended, error, shelved, rescued, soft-delete, resized, ...
 * - With an alarm open, a notification showing the VM active again, or deleted (vm_state
 *   deleted, or a delete.end), sends the clear, selected or not any more: the collector holds an
 *   alarm that only a clear ends.
 * - Building is not a fault (MultiCloud's agent counted BUILD as healthy too), and it does not
 *   clear either: a rebuild of a failed VM has not recovered it yet.
 */
import { toVmFields } from '../normalize/vm-message.js';
import type { VmFields } from '../normalize/vm-fields.js';
import type { Notification } from '../notifications/types.js';
import type { AlarmRecord, VesAgentRecord, VesBacklog } from '../model/ves.js';

/** What the events are built from: the VM as this notification shows it. */
export interface VmFacts {
  readonly vimId: string;
  readonly instanceId: string;
  /** display_name, or the instance id when nova sent none. */
  readonly displayName: string;
  readonly tenantId: string;
  /** nova's vm_state, lower case as nova writes it. */
  readonly vmState: string;
  readonly host: string;
  readonly eventType: string;
  readonly messageId: string;
  /** The notification's timestamp in µs since the epoch (now, when it carried none). */
  readonly atMicros: number;
}

export type FaultDecision =
  | { readonly kind: 'onset'; readonly vm: VmFacts; readonly backlog: VesBacklog }
  | { readonly kind: 'clear'; readonly vm: VmFacts; readonly alarm: AlarmRecord }
  | { readonly kind: 'none'; readonly why: string };

export interface FaultInput {
  readonly vimId: string;
  readonly agent: VesAgentRecord | undefined;
  readonly n: Notification;
  /** The VM's open alarm, looked up by the caller from instanceOf(n). */
  readonly alarm: AlarmRecord | undefined;
  /** toVmFields(n), for a caller that already mapped the payload. */
  readonly fields?: VmFields;
  /** For a notification without a timestamp. */
  readonly nowMicros?: number;
}

const HEALTHY = new Set(['active']);
const NOT_YET = new Set(['building']);
const DELETED = new Set(['deleted']);

/** The VM fields of an instance notification, or undefined for any other payload (never throws). */
export function vmFieldsOf(n: Notification): VmFields | undefined {
  try {
    return toVmFields(n);
  } catch {
    // Not an instance payload (aggregate, keypair, service, ...), or one no subscriber could map either.
    return undefined;
  }
}

export function decideFault(input: FaultInput): FaultDecision {
  const { vimId, agent, n, alarm } = input;
  if (!agent) return { kind: 'none', why: 'no VES agent configuration for the VIM' };
  const f = input.fields ?? vmFieldsOf(n);
  if (!f) return { kind: 'none', why: 'not an instance notification' };
  if (f.state === null || f.state === '') return { kind: 'none', why: 'the payload carries no vm_state' };
  const vm = factsOf(vimId, n, f, input.nowMicros ?? Date.now() * 1000);
  const state = vm.vmState;
  if (alarm) {
    if (HEALTHY.has(state)) return { kind: 'clear', vm, alarm };
    if (DELETED.has(state) || isDeleteEnd(n.eventType))
      return { kind: 'clear', vm: { ...vm, vmState: 'deleted' }, alarm };
    return { kind: 'none', why: `alarm already open (vm_state ${state})` };
  }
  if (HEALTHY.has(state) || NOT_YET.has(state) || DELETED.has(state) || isDeleteEnd(n.eventType)) {
    return { kind: 'none', why: `vm_state ${state} is not a fault` };
  }
  const backlog = selectingBacklog(agent.backlogs, vm);
  if (!backlog) return { kind: 'none', why: 'the VM is in no backlog' };
  return { kind: 'onset', vm, backlog };
}

/** The first fault/vm backlog that selects the VM. */
export function selectingBacklog(
  backlogs: readonly VesBacklog[],
  vm: Pick<VmFacts, 'tenantId' | 'displayName' | 'instanceId'>,
): VesBacklog | undefined {
  return backlogs.find(
    (b) =>
      b.domain === 'fault' &&
      b.type === 'vm' &&
      (b.tenant === undefined || b.tenant === '*' || b.tenant === vm.tenantId) &&
      (b.source === undefined || b.source === vm.displayName || b.source === vm.instanceId),
  );
}

function isDeleteEnd(eventType: string): boolean {
  return eventType === 'compute.instance.delete.end' || eventType === 'instance.delete.end';
}

function factsOf(vimId: string, n: Notification, f: VmFields, nowMicros: number): VmFacts {
  return {
    vimId,
    instanceId: f.instance_id,
    displayName: f.display_name || f.instance_id,
    tenantId: f.tenant_id ?? '',
    vmState: (f.state ?? '').toLowerCase(),
    host: f.host ?? '',
    eventType: n.eventType,
    messageId: n.messageId,
    atMicros: isoToMicros(n.timestamp) ?? nowMicros,
  };
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** "2016-03-31T14:44:15.671326Z" -> 1459435455671326; microseconds kept, which Date would drop. */
export function isoToMicros(iso: string): number | undefined {
  const m = ISO.exec(iso);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return undefined;
  const micros = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  return ms * 1000 + micros;
}
