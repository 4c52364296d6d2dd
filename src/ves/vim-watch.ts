/**
 * The VIM itself is watched too (Tacker-style monitoring): a VIM that has a VES agent
 * configuration and whose broker stays UNREACHABLE for longer than ves.vimUnreachableAfterMs
 * raises Fault_MultiCloud_VIMUnreachable (source: the VIM); REACHABLE again clears it.
 *
 * As for VMs, the alarm is remembered in the store only once the collector accepted the
 * event, so a restart neither repeats the onset nor forgets the clear; what the store cannot
 * take then is kept and written later, as for VMs (alarm-memory.ts). Each VIM's events are
 * sent one at a time, in the order of its status changes. A short blip (shorter than the
 * threshold) sends nothing. A send the collector refused for good is logged and not retried
 * (the next status change tries again); one cut short by shutdown is tried after the restart,
 * from the status the VIM then has.
 */
import type { OutboundRecord } from '../publish/destination.js';
import type { ListenerStatusChange } from '../transport/types.js';
import type { Logger } from '../util/logger.js';
import { Chains } from '../util/turns.js';
import { plainAlarm } from '../store/ves-state.js';
import type { VesStore } from './agents.js';
import { UnsavedAlarms } from './alarm-memory.js';
import { alarmOf, vimClear, vimOnset, type VesFaultEvent } from './events.js';
import { VIM_ALARM_KEY, type AlarmRecord } from '../model/ves.js';

export interface VimWatchOptions {
  readonly store: VesStore;
  /** VesDestination.send: resolves once the collector accepted. */
  readonly send: (record: OutboundRecord) => Promise<void>;
  /** ves.vimUnreachableAfterMs. */
  readonly unreachableAfterMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export class VimUnreachableWatch {
  private readonly latest = new Map<string, ListenerStatusChange>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per VIM: the chain its sends run on. */
  private readonly chains = new Chains();
  private readonly now: () => number;
  private closed = false;
  /** Accepted and not yet in the store; its writes take the VIM's chain as the sends do. */
  private readonly unsaved: UnsavedAlarms;

  constructor(private readonly o: VimWatchOptions) {
    this.now = o.now ?? Date.now;
    this.unsaved = new UnsavedAlarms(o.store, o.log, (vimId, _key, work) => this.chains.run(vimId, work));
  }

  /** Every listener status change of every VIM (and each VIM's status once at start). */
  statusChanged(vimId: string, change: ListenerStatusChange): void {
    if (this.closed) return;
    this.latest.set(vimId, change);
    clearTimeout(this.timers.get(vimId));
    this.timers.delete(vimId);
    if (change.status === 'UNREACHABLE') {
      const wait = Math.max(0, change.since.getTime() + this.o.unreachableAfterMs - this.now());
      const timer = setTimeout(() => {
        this.timers.delete(vimId);
        this.enqueue(vimId, () => this.raise(vimId, change));
      }, wait);
      timer.unref();
      this.timers.set(vimId, timer);
    } else if (change.status === 'REACHABLE') {
      this.enqueue(vimId, () => this.clear(vimId));
    }
  }

  /**
   * A VES agent configuration was created or replaced. A VIM already unreachable past the
   * threshold is judged again from its current status: its listener reports UNREACHABLE once,
   * so the timer that fired while the VIM had no configuration would otherwise be the last word.
   */
  configured(vimId: string): void {
    const latest = this.latest.get(vimId);
    if (latest?.status === 'UNREACHABLE' && !this.timers.has(vimId)) this.statusChanged(vimId, latest);
  }

  /** A VIM removed: forget its status (its store entries go with dropVesState). */
  forget(vimId: string): void {
    clearTimeout(this.timers.get(vimId));
    this.timers.delete(vimId);
    this.latest.delete(vimId);
  }

  /** Stops the timers; sends in flight end as VesDestination.close() ends them; then the unsaved alarms' last try. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.chains.all();
    await this.unsaved.close();
  }

  /** Accepted VIM alarm changes the store has not taken yet. */
  unsavedCount(): number {
    return this.unsaved.size;
  }

  private enqueue(vimId: string, step: () => Promise<void>): void {
    this.chains.run(vimId, step).catch((e: unknown) => {
      this.o.log.error('VIM alarm step failed', { vim: vimId, error: (e as Error).message });
    });
  }

  private alarm(vimId: string): AlarmRecord | undefined {
    // The VIM's own alarm is never claimed; read plain all the same, as every reader of alarms does.
    return this.unsaved.read(vimId, VIM_ALARM_KEY, () => plainAlarm(this.o.store.get().alarms[vimId]?.[VIM_ALARM_KEY]));
  }

  private async raise(vimId: string, change: ListenerStatusChange): Promise<void> {
    if (this.closed || this.latest.get(vimId) !== change) return;
    if (!this.o.store.get().vesAgents[vimId] || this.alarm(vimId)) return;
    const facts = {
      vimId,
      sinceMicros: change.since.getTime() * 1000,
      reason: change.reason ?? 'no reason given',
      atMicros: this.now() * 1000,
    };
    const event = vimOnset(facts, this.o.unreachableAfterMs);
    if (await this.deliver(vimId, event)) {
      const id = event.commonEventHeader.eventId;
      await this.unsaved.accepted(
        vimId,
        VIM_ALARM_KEY,
        alarmOf(event, { state: 'UNREACHABLE', eventType: 'listener.status', messageId: id }),
        id,
      );
    }
  }

  private async clear(vimId: string): Promise<void> {
    const alarm = this.alarm(vimId);
    if (this.closed || !alarm || !this.o.store.get().vesAgents[vimId]) return;
    const event = vimClear(
      { vimId, sinceMicros: alarm.startEpochMicrosec, reason: 'the broker answers again', atMicros: this.now() * 1000 },
      alarm,
    );
    if (await this.deliver(vimId, event))
      await this.unsaved.accepted(vimId, VIM_ALARM_KEY, null, event.commonEventHeader.eventId);
  }

  private async deliver(vimId: string, event: VesFaultEvent): Promise<boolean> {
    try {
      await this.o.send({ topic: vimId, json: JSON.stringify(event), key: vimId });
      return true;
    } catch (e) {
      this.o.log.warn(
        `VES ${event.commonEventHeader.eventName} not delivered; the next status change of the VIM tries again`,
        {
          vim: vimId,
          error: (e as Error).message,
        },
      );
      return false;
    }
  }
}
