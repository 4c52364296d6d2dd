/**
 * MultiCloud's VES agent configuration (onap/multicloud-openstack `fcaps/fcaps/vesagent/
 * vesagent_ctrl.py`) as the relay keeps it, and the per-VM and per-VIM alarm memory. Pure data;
 * schemas/vesagent.schema.json is the shape of the first, src/store/state.ts of the second.
 */

/** The collector a VIM's events go to. */
export interface VesSubscription {
  /** e.g. http://ves:8080/eventListener/v7; a batch goes to <endpoint>/eventBatch. */
  readonly endpoint: string;
  /** Basic auth when set (MultiCloud's agent never sent them; this one does). */
  readonly username?: string;
  readonly password?: string;
}

/** The collector a VIM's events go to, as VesDestination needs it. */
export type CollectorLookup = (vimId: string) => VesSubscription | undefined;

/** One selection of VMs: domain fault, type vm; tenant and source narrow it. */
export interface VesBacklogInput {
  readonly domain: 'fault';
  readonly type: 'vm';
  /** Matches the notification's tenant_id; absent or "*" = every tenant. */
  readonly tenant?: string;
  /** Matches the VM's display_name or instance_id; absent = every VM of the tenant. */
  readonly source?: string;
  /** MultiCloud's per-backlog poll interval; kept, unused (events are pushed as they happen). */
  readonly poll_interval?: number | string;
}

export interface VesBacklog extends VesBacklogInput {
  readonly backlog_uuid: string;
}

/** The body of POST .../vesagent: `{"vesagent_config": VesAgentConfigInput}`. */
export interface VesAgentConfigInput {
  readonly ves_subscription: VesSubscription;
  /** Kept for compatibility; there is no polling. */
  readonly poll_interval_default?: number | string;
  readonly backlogs: readonly VesBacklogInput[];
}

/** What the store keeps per VIM: the config as posted, its backlogs with their uuids. */
export interface VesAgentRecord {
  readonly ves_subscription: VesSubscription;
  readonly poll_interval_default?: number | string;
  readonly backlogs: readonly VesBacklog[];
  /** ISO 8601 of the last POST. */
  readonly updatedAt: string;
}

/**
 * MultiCloud's answer: `vesagent_config` as posted and `vesagent_backlogs` as its cache held
 * them (vimid, subscription, backlogs with backlog_uuid). Passwords are redacted by the caller.
 */
export interface VesAgentView {
  readonly vesagent_config: VesAgentConfigInput;
  readonly vesagent_backlogs: {
    readonly vimid: string;
    readonly poll_interval_default: number | string;
    readonly subscription: VesSubscription;
    readonly backlogs: readonly VesBacklog[];
  };
}

/** An open alarm: what its clear must repeat. Written only once the collector accepted the onset. */
export interface AlarmRecord {
  /** eventId of the onset; the clear's eventId is derived from it. */
  readonly eventId: string;
  /** The onset's time (µs since the epoch): the clear carries it too. */
  readonly startEpochMicrosec: number;
  /** The sequence number of the last event sent for this alarm (0 = the onset). */
  readonly sequence: number;
  /** What raised it: the VM's vm_state and the notification's event type (or VIM status). */
  readonly state: string;
  readonly eventType: string;
  readonly messageId: string;
  /** The name it was raised under (display_name, or the VIM id). */
  readonly sourceName: string;
}

/** The key a VIM-level alarm (Fault_MultiCloud_VIMUnreachable) has among a VIM's alarms. */
export const VIM_ALARM_KEY = '@vim';
