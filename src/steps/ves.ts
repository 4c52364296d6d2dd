/**
 * The VES agent as a side step of the pipeline: a VM fault (or its clear) of a VIM with a VES
 * agent configuration becomes one record for the VES destination, whether or not a
 * subscription matched. The alarm is remembered once the collector accepted the event (before
 * the delivery is acked), and forgotten when the notification is requeued or dead-lettered
 * before that, so a redelivery decides again.
 */
import type { VmFields } from '../normalize/vm-fields.js';
import type { Notification } from '../notifications/types.js';
import type { VesAlarmTracker } from '../ves/alarm-tracker.js';
import type { SideStep } from './render.js';

/** `watched` says cheaply whether a VIM has a VES agent configuration (most notifications need no more). */
export function vesStep(alarms: VesAlarmTracker, watched: (vimId: string) => boolean): SideStep {
  return {
    mayWant: (vimId) => watched(vimId),
    async prepare(vimId: string, n: Notification, fields: () => VmFields) {
      if (!watched(vimId)) return undefined;
      let f: VmFields | undefined;
      try {
        f = fields();
      } catch {
        // Unmappable: the subscribers' path dead-letters it; the fault rule reads what it can.
      }
      const record = await alarms.decide(vimId, n, f);
      if (!record) return undefined;
      return {
        value: [{ destination: 'ves', record, subscription: '', afterAccepted: () => alarms.published(vimId, n) }],
        commit: async () => {},
        release: () => alarms.abandoned(vimId, n),
      };
    },
  };
}
