/**
 * What the pipeline does with a VES record (src/steps/ves.ts, src/daemon/pipeline.ts), for tests
 * that drive the alarm tracker without a pipeline: send decide()'s record, then published() once
 * the collector accepted it, or abandoned() when it did not (the error is rethrown).
 */
import type { Notification } from '../../src/notifications/types.js';
import type { OutboundRecord } from '../../src/publish/destination.js';
import type { VesAlarmTracker } from '../../src/ves/alarm-tracker.js';

export async function deliverVes(
  alarms: VesAlarmTracker,
  vimId: string,
  n: Notification,
  record: OutboundRecord,
  send: (r: OutboundRecord) => Promise<void>,
): Promise<void> {
  try {
    await send(record);
  } catch (e) {
    alarms.abandoned(vimId, n);
    throw e;
  }
  await alarms.published(vimId, n);
}
