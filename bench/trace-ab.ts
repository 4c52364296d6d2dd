/**
 * A/B of the decision trace (GET /api/v1/vims/{id}/recent and the `notification decided` debug
 * line) in the relay's own Pipeline, in process, no broker: the drain corpus (every notification
 * published) and the filtered corpus (80 % matching nothing), each run
 *   A  without a DecisionLog (the pipeline as before the trace),
 *   B  with the daemon's DecisionLog and log.level info (the ring on, the debug line off),
 *   C  the same at log.level debug, the lines written to a stream that discards them.
 * Rounds alternate A, B, C so that a noisy neighbour on the shared machine hits all three; each
 * figure is the median of the rounds' medians. Run: npm run build && tsc -p bench/tsconfig.json
 * && node dist/bench/bench/trace-ab.js
 */
import { Writable } from 'node:stream';
import { DecisionLog } from '../src/daemon/decisions.js';
import type { PipelineDeps } from '../src/daemon/pipeline.js';
import { createLogger } from '../src/util/logger.js';
import { pipelineUs } from './breakdown.js';
import { buildCorpus, FILTERED_SOURCES, type Corpus } from './corpus.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_TRACE_ROUNDS ?? 3);
const discard = new Writable({ write: (_c, _e, done) => done() });
const logger = (level: string) => createLogger({ level, format: 'json', stream: discard });

const variants: Record<string, () => Partial<PipelineDeps>> = {
  'A no trace': () => ({}),
  'B trace, info': () => ({ decisions: new DecisionLog(logger('info')) }),
  'C trace, debug': () => ({ decisions: new DecisionLog(logger('debug')), logger: logger('debug') }),
};

async function measure(name: string, corpus: Corpus): Promise<void> {
  const figures = new Map<string, number[]>(Object.keys(variants).map((v) => [v, []]));
  for (let r = 0; r < ROUNDS; r++)
    for (const [v, extra] of Object.entries(variants)) figures.get(v)!.push(await pipelineUs(corpus, extra()));
  for (const [v, xs] of figures)
    console.log(
      `${name.padEnd(9)} ${v.padEnd(15)} ${median(xs).toFixed(2)} us/notification  (rounds: ${xs.map((x) => x.toFixed(2)).join(', ')})`,
    );
}

await measure('drain', await buildCorpus());
await measure('filtered', await buildCorpus(FILTERED_SOURCES));
