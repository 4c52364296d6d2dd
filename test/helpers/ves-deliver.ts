/**
 * What the pipeline does with a VES step (src/steps/ves.ts, src/daemon/pipeline.ts), for tests
 * that drive the alarm tracker without a pipeline: send the step's record, commit it once the
 * collector accepted it, and release it at the end whatever happened (a refusal is rethrown).
 */
import type { Notification } from '../../src/notifications/types.js';
import type { OutboundRecord } from '../../src/publish/destination.js';
import type { PreparedStep } from '../../src/store/prepared-step.js';
import type { VesAgent } from '../../src/ves/index.js';

export async function deliverVes(
  step: PreparedStep<OutboundRecord>,
  send: (r: OutboundRecord) => Promise<void>,
): Promise<void> {
  try {
    await send(step.value);
    await step.commit();
  } finally {
    step.release();
  }
}

/** What the pipeline does for one notification's VES part (before it acks the delivery), and what came of it. */
export async function relayVes(
  ves: Pick<VesAgent, 'alarms' | 'destination'>,
  vimId: string,
  n: Notification,
): Promise<'sent' | 'nothing' | 'abandoned'> {
  const step = await ves.alarms.decide(vimId, n);
  if (!step) return 'nothing';
  try {
    await deliverVes(step, (rec) => ves.destination.send(rec));
  } catch {
    return 'abandoned';
  }
  return 'sent';
}
