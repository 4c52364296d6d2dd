/**
 * The VM alarms and their memory, in the decide -> pending -> published/abandoned shape of the
 * compute-node memory (src/steps/compute-nodes.ts), for the same reason: the memory must
 * follow only what the collector accepted. decide() only decides and keeps the decision
 * pending; the pipeline then reports the notification's outcome: published() (every
 * destination, the collector included, accepted) writes the alarm to the store before the
 * delivery is acked, abandoned() (requeued, dead-lettered) drops it and a redelivery decides
 * again. So an onset is never remembered unsent (a collector outage cannot lose a clear: the
 * alarm stays open until its clear is accepted), and one remembered is never sent twice.
 *
 * Notifications about one VM are decided one at a time, each after the previous one's outcome
 * is known: two "stopped" notifications in flight together would otherwise both find no alarm
 * and both raise an onset. Other VMs, and notifications without a VES part, never wait.
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
 * published() tidies the row to the plain alarm (or deletes it: a clear), abandoned() puts
 * `previous` back; both only if the row is still at the claim's version. A decision of
 * nothing writes nothing (against this replica's copy of the row; see compute-nodes.ts for
 * why no check for a claim not yet heard of). When the store cannot take the claim
 * (STORE_UNAVAILABLE), the event is sent unclaimed, as in one process, with a warning that
 * another replica may send the same onset or clear: relaying goes on while PostgreSQL is away.
 * The VIM's own alarm (vim-watch.ts) is not claimed.
 *
 * What the collector accepted is never dropped from the memory: published() hands it to
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
  settleRows,
  sharedRows,
  type ClaimLog,
  type ClaimWords,
  type HeldRow,
  type RowValue,
  type SharedRows,
} from '../store/claims.js';
import { plainAlarm } from '../store/ves-state.js';
import type { Logger } from '../util/logger.js';
import type { VesStore } from './agents.js';
import { alarmOf, vmClear, vmOnset, type VesFaultEvent } from './events.js';
import { decideFault, vmFieldsOf, type FaultDecision } from './fault-rule.js';
import type { AlarmRecord } from '../model/ves.js';
import { Turns } from '../util/turns.js';
import { UnsavedAlarms } from './alarm-memory.js';

interface Pending {
  readonly instanceId: string;
  /** The alarm to keep once accepted (onset), or null to forget it (clear). */
  readonly next: AlarmRecord | null;
  readonly release: () => void;
  /** On a shared store: the alarm row, claimed (or, when the claim could not be written, to write once accepted). */
  readonly held?: readonly HeldRow[];
}

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
  /** By vimId + message_id: the decision waiting for its notification's outcome. */
  private readonly pending = new Map<string, Pending>();
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
   * one VES event), or null. Never throws: a payload the rule cannot read produces nothing here
   * (the other destinations judge it on their own). `fields`, when given, must be toVmFields(n).
   * A non-null answer must be followed by published() or abandoned() for the same notification.
   */
  async decide(vimId: string, n: Notification, fields?: VmFields): Promise<OutboundRecord | null> {
    if (!this.store.get().vesAgents[vimId]) return null;
    const f = fields ?? vmFieldsOf(n);
    if (!f) return null;
    const release = await this.turns.take(`${vimId}\n${f.instance_id}`);
    const store = this.store;
    const shared = sharedRows(store);
    let held: readonly HeldRow[] | undefined;
    try {
      let j: Judged;
      if (shared) ({ decision: j, held } = await this.claim(shared, store, vimId, n, f));
      else
        j = this.judge(
          store,
          vimId,
          n,
          f,
          this.unsaved.read(vimId, f.instance_id, () => plainAlarm(store.get().alarms[vimId]?.[f.instance_id])),
        );
      if (!j.event) {
        release();
        return null;
      }
      this.pending.set(this.key(vimId, n), { instanceId: f.instance_id, next: j.next, release, held });
      this.log.debug(`VES ${j.event.commonEventHeader.eventName} decided`, {
        vim: vimId,
        instance: f.instance_id,
        messageId: n.messageId,
      });
      return { topic: vimId, json: JSON.stringify(j.event), key: f.instance_id };
    } catch (e) {
      if (shared && held?.some((r) => r.claimed))
        void settleRows(shared, 'alarms', vimId, held, false).finally(release);
      else release();
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
        const unsaved = this.unsaved.entry(vimId, key);
        const alarm = unsaved ? (unsaved.next ?? undefined) : asAlarm(decidingValue(row, n.messageId));
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
   * The collector accepted the record decide() gave: remember the alarm (a claim tidied to it),
   * in the store or, while the store cannot take it, in UnsavedAlarms. Never rejects; a second
   * call is a no-op.
   */
  readonly published = async (vimId: string, n: Notification): Promise<void> => {
    const p = this.take(vimId, n);
    if (!p) return;
    try {
      await this.unsaved.accepted(vimId, p.instanceId, p.next, n.messageId, p.held?.[0]?.version ?? 0);
    } finally {
      p.release();
    }
  };

  /** Requeued or dead-lettered before the collector accepted: forget the decision; a redelivery decides again. A no-op once settled. */
  readonly abandoned = (vimId: string, n: Notification): void => {
    const p = this.take(vimId, n);
    if (!p) return;
    if (!p.held?.some((r) => r.claimed)) return p.release();
    // The VM's turn ends once its row is back: the next decision here reads it as it was.
    void this.putBack(vimId, n, p).finally(p.release);
  };

  /** A shared store's claimed row put back; never rejects. */
  private async putBack(vimId: string, n: Notification, p: Pending): Promise<void> {
    const shared = sharedRows(this.store);
    if (!shared || !p.held) return;
    // The configuration deleted meanwhile took the VM's alarm along: leave no row of it behind.
    const gone = !this.store.get().vesAgents[vimId];
    const rows = gone ? p.held.map((r) => ({ ...r, previous: undefined })) : p.held;
    await putBack(shared, 'alarms', vimId, rows, this.claimLog(vimId, n, p.instanceId));
  }

  /** Decisions waiting for their outcome (for tests and shutdown logs). */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Accepted alarms the store has not taken yet. */
  unsavedCount(): number {
    return this.unsaved.size;
  }

  /** Stops retrying the unsaved alarms after one last try (after the destination closed). */
  close(): Promise<void> {
    return this.unsaved.close();
  }

  private key(vimId: string, n: Notification): string {
    return `${vimId}\n${n.messageId}`;
  }

  private take(vimId: string, n: Notification): Pending | undefined {
    const k = this.key(vimId, n);
    const p = this.pending.get(k);
    this.pending.delete(k);
    return p;
  }
}
