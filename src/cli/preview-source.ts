/**
 * What `replay` and `explain` preview against: the configured store read-only (the file at
 * store.path, or PostgreSQL at store.url) when it exists, else the config's seed; named on
 * stderr first, since a preview against the wrong source looks right and is not.
 */
import { loadConfig, resolveConfigPath, type RelayConfig } from '../config/load.js';
import type { Subscription } from '../model/subscription.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../steps/compute-nodes.js';
import type { PreviewContext } from '../steps/preview.js';
import { readStore } from '../store/read-only.js';
import type { ComputeNodeMemory } from '../store/state.js';
import { silentLogger } from '../util/logger.js';
import type { CliArgs } from './args.js';

interface SourceState {
  vimIds: string[];
  subscriptions: Subscription[];
  computeNodes: ComputeNodeMemory;
  source: string;
}

async function stateFor(cfg: RelayConfig, configFile: string): Promise<SourceState> {
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

/** The preview context of `--vim`, or an Error listing the VIMs the source has. */
export async function previewSource(
  command: string,
  args: CliArgs,
  err: NodeJS.WritableStream,
): Promise<Omit<PreviewContext, 'commit'>> {
  if (!args.vim) throw new Error(`${command} needs --vim ID`);
  const configFile = resolveConfigPath(args.config);
  const cfg = loadConfig(configFile);
  const s = await stateFor(cfg, configFile);
  err.write(`${JSON.stringify({ source: s.source })}\n`);
  if (!s.vimIds.includes(args.vim)) {
    // Without this, every file "matches nothing" and the run exits 0 with an empty stdout.
    const known = s.vimIds.length ? `it knows ${s.vimIds.map((id) => `"${id}"`).join(', ')}` : 'it has no VIMs';
    throw new Error(`${command} --vim "${args.vim}": no such VIM in ${s.source}; ${known}`);
  }
  const memory = new InMemoryNodeMemory(s.computeNodes);
  return {
    vim: args.vim,
    subscriptions: s.subscriptions,
    // Nothing here can fail to publish, so every rendered notification counts as published.
    nodes: new ComputeNodeTracker(memory, silentLogger()),
    defaultSink: cfg.sinks.default,
    render: { errorFault: cfg.messages.errorFault },
  };
}
