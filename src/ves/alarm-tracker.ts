/**
 * The VM alarms and their memory, in the decide -> pending -> published/abandoned shape of the
 * compute-node memory (src/daemon/compute-nodes.ts), for the same reason: the memory must
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
 */
import type { OutboundRecord } from '../publish/destination.js';
import type { VmFields } from '../normalize/vm-fields.js';
import type { Notification } from '../notifications/types.js';
import type { Logger } from '../util/logger.js';
import type { VesStore } from './agents.js';
import { alarmOf, vmClear, vmOnset } from './events.js';
import { decideFault, vmFieldsOf } from './fault-rule.js';
import type { AlarmRecord } from './types.js';
import { Turns } from '../util/turns.js';

interface Pending {
  readonly instanceId: string;
  /** The alarm to keep once accepted (onset), or null to forget it (clear). */
  readonly next: AlarmRecord | null;
  readonly release: () => void;
}

export interface VesAlarmTrackerOptions {
  /** Clock for a notification without a timestamp, ms. Default Date.now. */
  readonly now?: () => number;
}

export class VesAlarmTracker {
  private readonly turns = new Turns();
  /** By vimId + message_id: the decision waiting for its notification's outcome. */
  private readonly pending = new Map<string, Pending>();
  private readonly now: () => number;

  /** `store` is a getter because the daemon opens its store after building the pipeline. */
  constructor(
    private readonly store: () => VesStore,
    private readonly log: Logger,
    opts: VesAlarmTrackerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * The VES record this notification produces for VesDestination (topic = the VIM id, json =
   * one VES event), or null. Never throws: a payload the rule cannot read produces nothing here
   * (the other destinations judge it on their own). `fields`, when given, must be toVmFields(n).
   * A non-null answer must be followed by published() or abandoned() for the same notification.
   */
  async decide(vimId: string, n: Notification, fields?: VmFields): Promise<OutboundRecord | null> {
    if (!this.store().get().vesAgents[vimId]) return null;
    const f = fields ?? vmFieldsOf(n);
    if (!f) return null;
    const release = await this.turns.take(`${vimId}\n${f.instance_id}`);
    try {
      const state = this.store().get();
      const alarm = state.alarms[vimId]?.[f.instance_id];
      const d = decideFault({
        vimId,
        agent: state.vesAgents[vimId],
        n,
        alarm,
        fields: f,
        nowMicros: this.now() * 1000,
      });
      if (d.kind === 'none') {
        release();
        return null;
      }
      const event = d.kind === 'onset' ? vmOnset(d.vm) : vmClear(d.vm, d.alarm);
      const next =
        d.kind === 'onset'
          ? alarmOf(event, { state: d.vm.vmState, eventType: n.eventType, messageId: n.messageId })
          : null;
      this.pending.set(this.key(vimId, n), { instanceId: f.instance_id, next, release });
      this.log.debug(`VES ${event.commonEventHeader.eventName} decided`, {
        vim: vimId,
        instance: f.instance_id,
        messageId: n.messageId,
      });
      return { topic: vimId, json: JSON.stringify(event), key: f.instance_id };
    } catch (e) {
      release();
      throw e;
    }
  }

  /**
   * Sends decide()'s record and settles the decision by the collector's answer alone: accepted
   * -> published() (the alarm is on disk before this resolves, so before the delivery is acked),
   * refused or closed -> abandoned(), and the send's error is rethrown for the pipeline to settle
   * the delivery by. The alarm then follows the collector even when another destination refuses
   * the notification: a redelivery finds the accepted onset and raises no second one.
   */
  async deliver(
    vimId: string,
    n: Notification,
    record: OutboundRecord,
    send: (r: OutboundRecord) => Promise<void>,
  ): Promise<void> {
    try {
      await send(record);
    } catch (e) {
      this.abandoned(vimId, n);
      throw e;
    }
    await this.published(vimId, n);
  }

  /** The collector accepted the record decide() gave: remember the alarm. Never rejects; a second call is a no-op. */
  readonly published = async (vimId: string, n: Notification): Promise<void> => {
    const p = this.take(vimId, n);
    if (!p) return;
    try {
      await this.store().update((draft) => {
        // Deleted meanwhile: the configuration went and its alarms with it; nothing to remember.
        if (!draft.vesAgents[vimId]) return;
        const vm = (draft.alarms[vimId] ??= {});
        if (p.next) vm[p.instanceId] = p.next;
        else delete vm[p.instanceId];
        if (Object.keys(vm).length === 0) delete draft.alarms[vimId];
      });
    } catch (e) {
      // The event is out and acking is right; the cost of the lost write is one event sent again later.
      this.log.warn(
        p.next
          ? 'VES alarm not saved; a later fault notification of this VM may raise its onset again'
          : 'VES clear not saved; the next active notification of this VM sends the clear again',
        {
          vim: vimId,
          instance: p.instanceId,
          messageId: n.messageId,
          error: (e as Error).message,
        },
      );
    } finally {
      p.release();
    }
  };

  /** Requeued or dead-lettered before the collector accepted: forget the decision; a redelivery decides again. A no-op once settled. */
  readonly abandoned = (vimId: string, n: Notification): void => {
    this.take(vimId, n)?.release();
  };

  /** Decisions waiting for their outcome (for tests and shutdown logs). */
  pendingCount(): number {
    return this.pending.size;
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
