/**
 * A Destination whose answers a test scripts (fakes are right for the pipeline's settle rules:
 * the point is the decision ack / requeue / dead-letter, and faults on demand). It records
 * every record it was handed; `healthNow` is what health() answers (readiness tests set it).
 */
import { Pipeline, type PipelineDeps } from '../../src/daemon/pipeline.js';
import type { Destination, DestinationHealth, DestinationName, OutboundRecord } from '../../src/publish/destination.js';
import type { RelayStore } from '../../src/store/store.js';

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

/** The Pipeline Relay builds around a store, with `dmaap` its one destination and default sink. */
export function dmaapPipeline(
  store: Pick<RelayStore, 'get'>,
  dmaap: Destination,
  deps: Pick<PipelineDeps, 'observer' | 'logger'> & Partial<PipelineDeps>,
): Pipeline {
  return new Pipeline({
    destinations: { dmaap },
    defaultSink: 'dmaap',
    subscriptions: () => store.get().subscriptions,
    maxBodyBytes: 1 << 20,
    ...deps,
  });
}
