/**
 * The VM alarms and their memory, decided as the compute-node memory is
 * (src/steps/compute-nodes.ts), for the same reason: the memory must follow only what the
 * collector accepted. decide() only decides, and gives the VES record as a PreparedStep
 * (src/store/prepared-step.ts), the one protocol of decisions with memory. That record is the
 * step's own: the pipeline commits the step once the collector accepted it, whatever the other
 * destinations answer (a refusal elsewhere must not make a redelivery raise the same onset
 * twice), and before the delivery is acked; commit() writes the alarm to the store and ends
 * the VM's turn. Released without commit (the collector did not accept: requeued,
 * dead-lettered), the decision is dropped and a redelivery decides again. So an onset is never
 * remembered unsent (a collector outage cannot lose a clear: the alarm stays open until its
 * clear is accepted), and one remembered is never sent twice.
 *
 * Notifications about one VM are decided one at a time, each after the previous one's outcome
 * (its step's commit or release) is known: two "stopped" notifications in flight together
 * would otherwise both find no alarm and both raise an onset. Other VMs, and notifications
 * without a VES part, never wait.
 *
 * Replicas (a `shared` store, PostgreSQL) take those turns only within their own process, so
 * there decide() claims the VM's alarm row before the event is sent (src/store/claims.ts):
 * the row is read with its version, decided on (another notification's claim read as the
 * alarm state it claims; this notification's own claim, left by a replica that died, as the
 * `previous` it replaced, so that the redelivery sends the event again rather than taking it
 * for sent), and written with compareAndSet as the onset's alarm plus `claim: {messageId,
 * claimedAt, previous}`, or for a clear as `{claim}` alone. A lost claim decides again against
 * the row as it now is (at most MAX_CLAIM_ATTEMPTS times): of two "stopped" notifications on
 * two replicas, one raises the onset and the other finds it claimed and raises nothing.
 * The commit tidies the row to the plain alarm (or deletes it: a clear), a release before it
 * puts `previous` back; both only if the row is still at the claim's version. A decision of
 * nothing writes nothing (against this replica's copy of the row; see compute-nodes.ts for
 * why no check for a claim not yet heard of). When the store cannot take the claim
 * (STORE_UNAVAILABLE), the event is sent unclaimed, as in one process, with a warning that
 * another replica may send the same onset or clear: relaying goes on while PostgreSQL is away.
 * The VIM's own alarm (vim-watch.ts) is not claimed.
 *
 * What the collector accepted is never dropped from the memory: the commit hands it to
 * UnsavedAlarms (alarm-memory.ts), which writes it (a claim tidied, or the alarm of an
 * unclaimed decision) or, when the store cannot take it, keeps it for decide() to read and
 * writes it when the store is back.
 */
import type { OutboundRecord } from '../publish/destination.js';
import type { VmFields } from '../normalize/vm-fields.js';
import type { Notification } from '../notifications/types.js';
import {
  claimDecision,
  claimOf,
  decidingValue,
  putBack,
  rowChanges,
  sharedRows,
  type ClaimLog,
  type ClaimWords,
  type HeldRow,
  type RowValue,
  type SharedRows,
} from '../store/claims.js';
import { dropped, preparedStep, type PreparedStep } from '../store/prepared-step.js';
import { plainAlarm } from '../store/ves-state.js';
import type { Logger } from '../util/logger.js';
import type { VesStore } from './agents.js';
import { alarmOf, vmClear, vmOnset, type VesFaultEvent } from './events.js';
import { decideFault, vmFieldsOf, type FaultDecision } from './fault-rule.js';
import type { AlarmRecord } from '../model/ves.js';
import { Turns } from '../util/turns.js';
import { UnsavedAlarms } from './alarm-memory.js';

const CLAIM_WORDS: ClaimWords = {
  raced:
    'VES alarm not claimed: other replicas kept changing it first; the event is sent unclaimed, and another replica may send the same one',
  unavailable:
    'VES alarm not claimed: the store cannot take it now; the event is sent unclaimed, and another replica may send the same one',
  gone: 'VES alarm not claimed: the VIM is gone from the store',
  notPutBack:
    "VES alarm claim not put back; until the notification's redelivery settles it, other replicas read the VM's alarm as claimed",
};

interface Judged {
  readonly d: FaultDecision;
  readonly event?: VesFaultEvent;
  readonly next: AlarmRecord | null;
}

const one = (key: string, v: RowValue | undefined): Record<string, RowValue> => (v === undefined ? {} : { [key]: v });
/** An alarm as a store row, and back (the row's schema is the alarm's: checkState judges it). */
const asRow = (a: AlarmRecord | undefined): RowValue | undefined => a as unknown as RowValue | undefined;
const asAlarm = (r: RowValue | undefined): AlarmRecord | undefined => r as unknown as AlarmRecord | undefined;

export interface VesAlarmTrackerOptions {
  /** Clock for a notification without a timestamp, ms. Default Date.now. */
  readonly now?: () => number;
}

export class VesAlarmTracker {
  private readonly turns = new Turns();
  private readonly now: () => number;
  /** Accepted and not yet in the store: read before the store's rows. */
  private readonly unsaved: UnsavedAlarms;

  constructor(
    private readonly store: VesStore,
    private readonly log: Logger,
    opts: VesAlarmTrackerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.unsaved = new UnsavedAlarms(store, log, async (vimId, key, work) => {
      const release = await this.turns.take(`${vimId}\n${key}`);
      try {
        await work();
      } finally {
        release();
      }
    });
  }

  /**
   * The VES record this notification produces for VesDestination (topic = the VIM id, json =
   * one VES event), with its commit and release (src/store/prepared-step.ts), or null. Never
   * throws: a payload the rule cannot read produces nothing here (the other destinations judge
   * it on their own). `fields`, when given, must be toVmFields(n). A step holds the VM's turn:
   * commit() (the collector accepted the record) remembers the alarm and ends the turn,
   * release() before that forgets the decision (a claimed row put back) and ends it.
   */
  async decide(vimId: string, n: Notification, fields?: VmFields): Promise<PreparedStep<OutboundRecord> | null> {
    if (!this.store.get().vesAgents[vimId]) return null;
    const f = fields ?? vmFieldsOf(n);
    if (!f) return null;
    const instanceId = f.instance_id;
    const release = await this.turns.take(`${vimId}\n${instanceId}`);
    const store = this.store;
    const shared = sharedRows(store);
    let held: readonly HeldRow[] = [];
    try {
      let j: Judged;
      if (shared) ({ decision: j, held } = await this.claim(shared, store, vimId, n, f));
      else
        j = this.judge(
          store,
          vimId,
          n,
          f,
          this.unsaved.read(vimId, instanceId, () => plainAlarm(store.get().alarms[vimId]?.[instanceId])),
        );
      if (!j.event) {
        release();
        return null;
      }
      this.log.debug(`VES ${j.event.commonEventHeader.eventName} decided`, {
        vim: vimId,
        instance: instanceId,
        messageId: n.messageId,
      });
      const record = { topic: vimId, json: JSON.stringify(j.event), key: instanceId };
      const next = j.next;
      return preparedStep(
        record,
        release,
        () => this.accepted(vimId, n, instanceId, next, held, release),
        this.putBackOf(vimId, n, instanceId, held),
      );
    } catch (e) {
      dropped(release, this.putBackOf(vimId, n, instanceId, held));
      throw e;
    }
  }

  private judge(store: VesStore, vimId: string, n: Notification, f: VmFields, alarm: AlarmRecord | undefined): Judged {
    const d = decideFault({
      vimId,
      agent: store.get().vesAgents[vimId],
      n,
      alarm,
      fields: f,
      nowMicros: this.now() * 1000,
    });
    if (d.kind === 'none') return { d, next: null };
    const event = d.kind === 'onset' ? vmOnset(d.vm) : vmClear(d.vm, d.alarm);
    const next =
      d.kind === 'onset'
        ? alarmOf(event, { state: d.vm.vmState, eventType: n.eventType, messageId: n.messageId })
        : null;
    return { d, event, next };
  }

  /** Reads, decides and claims the VM's alarm row until a claim lands (or there is nothing to claim, or it cannot be). */
  private claim(
    shared: SharedRows<'alarms'>,
    store: VesStore,
    vimId: string,
    n: Notification,
    f: VmFields,
  ): Promise<{ decision: Judged; held: readonly HeldRow[] }> {
    const key = f.instance_id;
    return claimDecision({
      store: shared,
      kind: 'alarms',
      vimId,
      messageId: n.messageId,
      log: this.claimLog(vimId, n, key),
      decide: () => {
        // The row and its version read together, before any await.
        const row = asRow(store.get().alarms[vimId]?.[key]);
        const version = shared.versionOf('alarms', vimId, key);
        const alarm = this.unsaved.read(vimId, key, () => asAlarm(decidingValue(row, n.messageId)));
        const j = this.judge(store, vimId, n, f, alarm);
        const target = j.d.kind === 'none' ? alarm : (j.next ?? undefined);
        const own = claimOf(row)?.messageId === n.messageId ? [key] : [];
        const changes = rowChanges(one(key, row), one(key, asRow(alarm)), one(key, asRow(target)), own, () => version);
        return { decision: j, changes, publishes: j.event !== undefined };
      },
    });
  }

  private claimLog(vimId: string, n: Notification, instanceId: string): ClaimLog {
    return {
      logger: this.log,
      words: CLAIM_WORDS,
      fields: { vim: vimId, instance: instanceId, messageId: n.messageId },
    };
  }

  /**
   * The collector accepted the record decide() gave (its step's commit): remember the alarm (a
   * claim tidied to it), in the store or, while the store cannot take it, in UnsavedAlarms,
   * then end the VM's turn. Never rejects.
   */
  private async accepted(
    vimId: string,
    n: Notification,
    instanceId: string,
    next: AlarmRecord | null,
    held: readonly HeldRow[],
    endTurn: () => void,
  ): Promise<void> {
    try {
      await this.unsaved.accepted(vimId, instanceId, next, n.messageId, held[0]?.version ?? 0);
    } finally {
      endTurn();
    }
  }

  /** What a decision given up puts back: its claimed row (none claimed, nothing). */
  private putBackOf(
    vimId: string,
    n: Notification,
    instanceId: string,
    held: readonly HeldRow[],
  ): (() => Promise<void>) | undefined {
    return held.some((r) => r.claimed) ? () => this.putBack(vimId, n, instanceId, held) : undefined;
  }

  /** Released before the collector accepted: a shared store's claimed row put back; never rejects. */
  private async putBack(vimId: string, n: Notification, instanceId: string, held: readonly HeldRow[]): Promise<void> {
    const shared = sharedRows(this.store);
    if (!shared) return;
    // The configuration deleted meanwhile took the VM's alarm along: leave no row of it behind.
    const gone = !this.store.get().vesAgents[vimId];
    const rows = gone ? held.map((r) => ({ ...r, previous: undefined })) : held;
    await putBack(shared, 'alarms', vimId, rows, this.claimLog(vimId, n, instanceId));
  }

  /** Accepted alarms the store has not taken yet. */
  unsavedCount(): number {
    return this.unsaved.size;
  }

  /** Stops retrying the unsaved alarms after one last try (after the destination closed). */
  close(): Promise<void> {
    return this.unsaved.close();
  }
}
