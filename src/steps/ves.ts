/**
 * The VES agent as a side step of the pipeline: a VM fault (or its clear) of a VIM with a VES
 * agent configuration becomes one record for the VES destination, whether or not a
 * subscription matched. It is a PreparedStep as every decision with memory is
 * (src/store/prepared-step.ts), and its one record is its own: the pipeline commits it once the
 * collector accepted that record, whatever the other destinations answer (a refusal elsewhere
 * must not make a redelivery raise the same onset twice), so the alarm is remembered before the
 * delivery is acked; released without commit (requeued or dead-lettered before that), the
 * decision is forgotten and a redelivery decides again.
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
      const step = await alarms.decide(vimId, n, f);
      if (!step) return undefined;
      return { ...step, value: [{ destination: 'ves', record: step.value, subscription: '' }] };
    },
  };
}
