/**
 * A Destination whose answers a test scripts (fakes are right for the pipeline's settle rules:
 * the point is the decision ack / requeue / dead-letter, and faults on demand). It records
 * every record it was handed; `healthNow` is what health() answers (readiness tests set it).
 */
import type { Destination, DestinationHealth, DestinationName, OutboundRecord } from '../../src/publish/destination.js';

export type Answer = (topic: string) => Promise<void>;
export const accept: Answer = () => Promise.resolve();

export class ScriptedDestination implements Destination {
  readonly calls: OutboundRecord[] = [];
  healthNow: DestinationHealth = { ok: true, since: new Date(0) };
  constructor(
    public answer: Answer = accept,
    readonly name: DestinationName = 'dmaap',
  ) {}
  send(record: OutboundRecord): Promise<void> {
    this.calls.push(record);
    return this.answer(record.topic);
  }
  health(): DestinationHealth {
    return this.healthNow;
  }
  pending(): number {
    return 0;
  }
  async close(): Promise<void> {}
}
