/**
 * `replay --vim ID FILE...`: what the daemon would publish for each file, one JSON line per
 * message `{"file","sink","topic","subscription","message"}`; no broker, no DMaaP. Subscriptions come
 * from the store when it exists (the source of truth), else from the config file. Compute-node
 * events are decided against an in-memory copy of the store's node memory (empty without a
 * store), which the files then change in order as if each were published; the store file is
 * never written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { parseNotification } from '../notifications/parse.js';
import { matchSubscriptions } from '../filter/match.js';
import { renderMatches } from '../steps/render.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../steps/compute-nodes.js';
import type { Subscription } from '../model/subscription.js';
import type { ComputeNodeMemory } from '../store/state.js';
import { silentLogger } from '../util/logger.js';
import type { CliArgs } from './args.js';

interface ReplayState {
  vimIds: string[];
  subscriptions: Subscription[];
  computeNodes: ComputeNodeMemory;
  /** Where the VIMs and subscriptions came from, for messages. */
  source: string;
}

function stateFor(
  storePath: string,
  cfg: { vims: readonly { id: string }[]; subscriptions: Subscription[] },
  configFile: string,
): ReplayState {
  if (!existsSync(storePath))
    return {
      vimIds: cfg.vims.map((v) => v.id),
      subscriptions: cfg.subscriptions,
      computeNodes: {},
      source: `the config (${configFile})`,
    };
  const state = JSON.parse(readFileSync(storePath, 'utf8')) as {
    vims?: { id: string }[];
    subscriptions?: Subscription[];
    computeNodes?: ComputeNodeMemory;
  };
  return {
    vimIds: (state.vims ?? []).map((v) => v.id),
    subscriptions: state.subscriptions ?? [],
    computeNodes: state.computeNodes ?? {},
    source: `the store (${storePath})`,
  };
}

export async function replay(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!args.vim) throw new Error('replay needs --vim ID');
  if (args.files.length === 0) throw new Error('replay needs at least one FILE');
  const configFile = resolveConfigPath(args.config);
  const cfg = loadConfig(configFile);
  const { vimIds, subscriptions: subs, computeNodes, source } = stateFor(cfg.store.path, cfg, configFile);
  if (!vimIds.includes(args.vim)) {
    // Without this, every file "matches nothing" and the run exits 0 with an empty stdout.
    const known = vimIds.length ? `it knows ${vimIds.map((id) => `"${id}"`).join(', ')}` : 'it has no VIMs';
    throw new Error(`replay --vim "${args.vim}": no such VIM in ${source}; ${known}`);
  }
  const memory = new InMemoryNodeMemory(computeNodes);
  // Nothing here can fail to publish, so every rendered notification counts as published.
  const nodes = new ComputeNodeTracker(() => memory, silentLogger());
  const tally: Tally = { files: args.files.length, messages: 0, unmatched: 0, suppressed: 0, failed: 0 };
  for (const file of args.files)
    await replayFile(file, { vim: args.vim, subs, nodes, defaultSink: cfg.sinks.default, out, err, tally });
  // The last stderr line: what the run amounted to, so that an empty stdout is never a mystery.
  err.write(`${JSON.stringify({ summary: { vim: args.vim, ...tally } })}\n`);
  return tally.failed > 0 ? 1 : 0;
}

interface Tally {
  files: number;
  messages: number;
  unmatched: number;
  suppressed: number;
  failed: number;
}

interface FileContext {
  readonly vim: string;
  readonly subs: Subscription[];
  readonly nodes: ComputeNodeTracker;
  readonly defaultSink: 'dmaap' | 'kafka';
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly tally: Tally;
}

async function replayFile(file: string, c: FileContext): Promise<void> {
  const report = (code: string, message: string) => {
    c.tally.failed++;
    c.err.write(`${JSON.stringify({ file, error: { code, message } })}\n`);
  };
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    return report('NOT_FOUND', (e as Error).message);
  }
  const parsed = parseNotification(body);
  if (!parsed.ok) return report(parsed.error.code, parsed.error.message);
  const matches = matchSubscriptions(c.vim, parsed.notification, c.subs);
  if (matches.length === 0) {
    c.tally.unmatched++;
    c.err.write(`${JSON.stringify({ file, matched: 0, event_type: parsed.notification.eventType })}\n`);
  }
  try {
    const step = await renderMatches(c.vim, parsed.notification, matches, c.nodes);
    try {
      const rendered = step.value;
      for (const [m, r] of rendered) {
        if (r === null) continue;
        c.tally.messages++;
        const sink = m.subscription.sink ?? c.defaultSink;
        c.out.write(
          `${JSON.stringify({ file, sink, topic: m.subscription.topic, subscription: m.subscription.id, message: JSON.parse(r.json) as unknown })}\n`,
        );
      }
      // A compute-node update that changed no tracked field: say so, or the silence looks like a fault.
      if (rendered.size > 0 && [...rendered.values()].every((r) => r === null)) {
        c.tally.suppressed++;
        c.err.write(
          `${JSON.stringify({ file, suppressed: rendered.size, event_type: parsed.notification.eventType })}\n`,
        );
      }
      await step.commit();
    } finally {
      step.release();
    }
  } catch (e) {
    report((e as { code?: string }).code ?? 'UNMAPPABLE', (e as Error).message);
  }
}
