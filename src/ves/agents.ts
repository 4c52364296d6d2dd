/**
 * VES agent configurations kept in the store: what the admin routes' RelayControl methods do,
 * and where VesDestination looks up a VIM's collector. A change is live at once: the fault rule
 * and the destination read the store on every notification.
 */
import { randomUUID } from 'node:crypto';
import { RelayError } from '../errors.js';
import { REDACTED } from '../util/redact.js';
import type { ConditionalRows } from '../store/claims.js';
import type { AlarmMemory, VesAgents } from '../store/state.js';
import { dropVesState } from '../store/ves-state.js';
import type {
  VesAgentConfigInput,
  VesAgentRecord,
  VesAgentView,
  VesBacklog,
  VesBacklogInput,
  CollectorLookup,
  VesSubscription,
} from '../model/ves.js';

/**
 * The part of the store this needs (the RelayStore in the daemon; a StateFile or
 * test/helpers/ves-memory-store.ts in the unit tests). A `shared` store (PostgreSQL: other replicas write
 * it) must give versionOf and compareAndSet: the VM alarm tracker then claims its decisions.
 */
export interface VesStore extends ConditionalRows<'alarms'> {
  get(): Readonly<{ vims: readonly { readonly id: string }[]; vesAgents: VesAgents; alarms: AlarmMemory }>;
  update(
    mutator: (draft: { vims: { id: string }[]; vesAgents: VesAgents; alarms: AlarmMemory }) => void,
  ): Promise<void>;
}

const sameSelection = (a: VesBacklogInput, b: VesBacklogInput): boolean =>
  a.domain === b.domain && a.type === b.type && a.tenant === b.tenant && a.source === b.source;

/**
 * The record to store for a POSTed config. A backlog that selects what a backlog of the
 * previous config selected keeps its backlog_uuid, so a client re-posting the same config sees
 * the same uuids; a new one gets a fresh uuid.
 */
export function toAgentRecord(
  input: VesAgentConfigInput,
  previous: VesAgentRecord | undefined,
  now: Date,
): VesAgentRecord {
  const backlogs: VesBacklog[] = input.backlogs.map((b) => ({
    ...b,
    backlog_uuid: previous?.backlogs.find((p) => sameSelection(p, b))?.backlog_uuid ?? randomUUID(),
  }));
  const sub = input.ves_subscription;
  return {
    // An empty username means no auth, as for dmaap.username; it is not kept as a credential.
    ves_subscription: {
      endpoint: sub.endpoint,
      ...(sub.username ? { username: sub.username, password: sub.password ?? '' } : {}),
    },
    ...(input.poll_interval_default !== undefined ? { poll_interval_default: input.poll_interval_default } : {}),
    backlogs,
    updatedAt: now.toISOString(),
  };
}

function redactedSubscription(s: VesSubscription): VesSubscription {
  return { endpoint: s.endpoint, ...(s.username ? { username: s.username, password: REDACTED } : {}) };
}

/** MultiCloud's answer for a stored record, password redacted. */
export function agentView(vimId: string, r: VesAgentRecord): VesAgentView {
  const subscription = redactedSubscription(r.ves_subscription);
  const poll = r.poll_interval_default ?? 0;
  const inputs = r.backlogs.map(({ backlog_uuid: _uuid, ...rest }) => rest);
  return {
    vesagent_config: {
      ves_subscription: subscription,
      ...(r.poll_interval_default !== undefined ? { poll_interval_default: poll } : {}),
      backlogs: inputs,
    },
    vesagent_backlogs: {
      vimid: vimId,
      poll_interval_default: poll,
      subscription,
      backlogs: r.backlogs.map((b) => ({ ...b })),
    },
  };
}

export class VesAgentRegistry {
  /** `onPut` hears of every configuration created or replaced (the VIM watch re-judges the VIM). */
  constructor(
    private readonly store: VesStore,
    private readonly now: () => Date = () => new Date(),
    private readonly onPut: (vimId: string) => void = () => {},
  ) {}

  get(vimId: string): VesAgentView | undefined {
    const r = this.store.get().vesAgents[vimId];
    return r && agentView(vimId, r);
  }

  /** Creates or replaces. Throws RelayError(NOT_FOUND) when the VIM is not registered. */
  async put(vimId: string, input: VesAgentConfigInput): Promise<VesAgentView> {
    let record: VesAgentRecord | undefined;
    await this.store.update((draft) => {
      if (!draft.vims.some((v) => v.id === vimId)) {
        throw new RelayError('NOT_FOUND', `VIM "${vimId}" is not registered; PUT /api/v1/vims/${vimId} first`);
      }
      record = toAgentRecord(input, draft.vesAgents[vimId], this.now());
      draft.vesAgents[vimId] = record;
    });
    this.onPut(vimId);
    return agentView(vimId, record!);
  }

  /**
   * Removes the configuration and the VIM's open alarms: VES events for that VIM stop, and a
   * later configuration starts from a clean slate. false when there was none.
   */
  async delete(vimId: string): Promise<boolean> {
    if (!this.store.get().vesAgents[vimId]) return false;
    let existed = false;
    await this.store.update((draft) => {
      existed = draft.vesAgents[vimId] !== undefined;
      dropVesState(draft, vimId);
    });
    return existed;
  }

  /** For VesDestination: the VIM's collector with its credentials, as stored. */
  readonly collectorFor: CollectorLookup = (vimId) => this.store.get().vesAgents[vimId]?.ves_subscription;
}
