/**
 * What the pipeline does with a VES record (src/steps/ves.ts, src/daemon/pipeline.ts), for tests
 * that drive the alarm tracker without a pipeline: send decide()'s record, then published() once
 * the collector accepted it, or abandoned() when it did not (the error is rethrown).
 */
import type { Notification } from '../../src/notifications/types.js';
import type { OutboundRecord } from '../../src/publish/destination.js';
import type { VesAlarmTracker } from '../../src/ves/alarm-tracker.js';
import type { VesAgent } from '../../src/ves/index.js';

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

/** What the pipeline does for one notification's VES part (before it acks the delivery), and what came of it. */
export async function relayVes(
  ves: Pick<VesAgent, 'alarms' | 'destination'>,
  vimId: string,
  n: Notification,
): Promise<'sent' | 'nothing' | 'abandoned'> {
  const record = await ves.alarms.decide(vimId, n);
  if (!record) return 'nothing';
  try {
    await deliverVes(ves.alarms, vimId, n, record, (rec) => ves.destination.send(rec));
  } catch {
    return 'abandoned';
  }
  return 'sent';
}
