/**
 * `replay --vim ID FILE...`: what the daemon would publish for each file, one JSON line per
 * message `{"file","sink","topic","subscription","message"}`; no broker, no DMaaP. Subscriptions come
 * from the configured store when it exists (the source of truth: the file at store.path, or
 * PostgreSQL at store.url, read-only), else from the config file; the first stderr line names it. Compute-node
 * events are decided against an in-memory copy of the store's node memory (empty without a
 * store), which the files then change in order as if each were published; the store file is
 * never written.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, resolveConfigPath, type RelayConfig } from '../config/load.js';
import { readStore } from '../store/read-only.js';
import { parseNotification } from '../notifications/parse.js';
import { matchSubscriptions } from '../filter/match.js';
import { renderMatches, type RenderOptions } from '../steps/render.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../steps/compute-nodes.js';
import type { Subscription } from '../model/subscription.js';
import type { ComputeNodeMemory } from '../store/state-store.js';
import { silentLogger } from '../util/logger.js';
import type { CliArgs } from './args.js';

interface ReplayState {
  vimIds: string[];
  subscriptions: Subscription[];
  computeNodes: ComputeNodeMemory;
  /** Where the VIMs and subscriptions came from, for messages. */
  source: string;
}

/** The configured store (file or PostgreSQL, read-only) when it exists, else the config's seed. */
async function stateFor(cfg: RelayConfig, configFile: string): Promise<ReplayState> {
  const view = await readStore(cfg);
  if (!view)
    return {
      vimIds: cfg.vims.map((v) => v.id),
      subscriptions: cfg.subscriptions,
      computeNodes: {},
      source: `the config (${configFile})`,
    };
  return {
    vimIds: view.state.vims.map((v) => v.id),
    subscriptions: view.state.subscriptions,
    computeNodes: view.state.computeNodes,
    source: view.source,
  };
}

export async function replay(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!args.vim) throw new Error('replay needs --vim ID');
  if (args.files.length === 0) throw new Error('replay needs at least one FILE');
  const configFile = resolveConfigPath(args.config);
  const cfg = loadConfig(configFile);
  const { vimIds, subscriptions: subs, computeNodes, source } = await stateFor(cfg, configFile);
  // Before anything else on stderr: previews against the wrong source look right and are not.
  err.write(`${JSON.stringify({ source })}\n`);
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
    await replayFile(file, {
      vim: args.vim,
      subs,
      nodes,
      defaultSink: cfg.sinks.default,
      render: { errorFault: cfg.messages.errorFault },
      out,
      err,
      tally,
    });
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
  readonly render: RenderOptions;
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
    const step = await renderMatches(c.vim, parsed.notification, matches, c.nodes, undefined, c.render);
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
