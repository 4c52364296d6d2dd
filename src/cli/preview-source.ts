/**
 * What `replay` and `explain` preview against, and where `deadletters` finds its VIM: the
 * configured store read-only (the file at store.path, or PostgreSQL at store.url) when it exists,
 * else the config's seed; named on stderr first, since a preview against the wrong source looks
 * right and is not.
 */
import { loadConfig, resolveConfigPath, type RelayConfig } from '../config/load.js';
import type { VimSpec } from '../config/vim.js';
import type { Subscription } from '../model/subscription.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../steps/compute-nodes.js';
import type { PreviewContext } from '../steps/preview.js';
import { readStore } from '../store/read-only.js';
import type { ComputeNodeMemory } from '../store/state.js';
import { silentLogger } from '../util/logger.js';
import type { CliArgs } from './args.js';

export interface VimSource {
  readonly cfg: RelayConfig;
  /** The spec of `--vim` as the source has it. */
  readonly vim: VimSpec;
  readonly subscriptions: Subscription[];
  readonly computeNodes: ComputeNodeMemory;
  /** "the config (<file>)", or the store as readStore() names it. */
  readonly source: string;
}

/** The message of a `--vim` the source does not have, each command in its own words. */
export type NoSuchVim = (vim: string, vimIds: readonly string[], source: string) => string;

/**
 * The config, the source (named on stderr) and the spec of `--vim` in it; an Error without
 * `--vim`, or with one the source does not have (worded by `noSuchVim`).
 */
export async function vimSource(
  command: string,
  args: CliArgs,
  err: NodeJS.WritableStream,
  noSuchVim: NoSuchVim,
): Promise<VimSource> {
  if (!args.vim) throw new Error(`${command} needs --vim ID`);
  const configFile = resolveConfigPath(args.config);
  const cfg = loadConfig(configFile);
  const view = await readStore(cfg);
  const s = view
    ? { ...view.state, source: view.source }
    : { vims: cfg.vims, subscriptions: cfg.subscriptions, computeNodes: {}, source: `the config (${configFile})` };
  err.write(`${JSON.stringify({ source: s.source })}\n`);
  const vim = s.vims.find((v) => v.id === args.vim);
  if (!vim)
    throw new Error(
      noSuchVim(
        args.vim,
        s.vims.map((v) => v.id),
        s.source,
      ),
    );
  return { cfg, vim, subscriptions: s.subscriptions, computeNodes: s.computeNodes, source: s.source };
}

/** The preview context of `--vim`, or an Error listing the VIMs the source has. */
export async function previewSource(
  command: string,
  args: CliArgs,
  err: NodeJS.WritableStream,
): Promise<Omit<PreviewContext, 'commit'>> {
  // Without the check of --vim, every file "matches nothing" and the run exits 0 with an empty stdout.
  const s = await vimSource(command, args, err, (vim, ids, source) => {
    const known = ids.length ? `it knows ${ids.map((id) => `"${id}"`).join(', ')}` : 'it has no VIMs';
    return `${command} --vim "${vim}": no such VIM in ${source}; ${known}`;
  });
  const { cfg } = s;
  const memory = new InMemoryNodeMemory(s.computeNodes);
  return {
    vim: s.vim.id,
    subscriptions: s.subscriptions,
    // Nothing here can fail to publish, so every rendered notification counts as published.
    nodes: new ComputeNodeTracker(memory, silentLogger()),
    defaultSink: cfg.sinks.default,
    render: { errorFault: cfg.messages.errorFault },
  };
}
