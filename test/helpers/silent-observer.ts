/** A PipelineObserver that records nothing, for tests and benches that judge a Pipeline by its settlements. */
import type { PipelineObserver } from '../../src/daemon/pipeline.js';

export const silentObserver: PipelineObserver = {
  consumed() {},
  filtered() {},
  published() {},
  deadLettered() {},
  duplicate() {},
  inFlight() {},
};
