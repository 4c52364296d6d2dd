/**
 * `deadletters list|show|redrive --vim ID`: the dead-letter tool from the command line, on the
 * VIM as the configured store has it (read-only, as replay reads it): list what waits (reason,
 * count, age), show one with its body, re-drive the given ids (or --all) to the VIM's queue,
 * at-least-once. The same functions answer the admin API's /api/v1/vims/{id}/deadletters.
 */
import type { RelayConfig } from '../config/load.js';
import { applyVimDefaults, type VimConfig } from '../config/vim.js';
import { listDeadLetters, redriveDeadLetters, showDeadLetter } from '../transport/amqp091/dead-letter-tool.js';
import type { CliArgs } from './args.js';
import { vimSource } from './preview-source.js';

const ACTIONS = ['list', 'show', 'redrive'] as const;

async function vimOf(args: CliArgs, err: NodeJS.WritableStream): Promise<{ vim: VimConfig; cfg: RelayConfig }> {
  const { vim, cfg } = await vimSource(
    'deadletters',
    args,
    err,
    (id, ids) => `deadletters --vim "${id}": no such VIM; it knows ${ids.map((v) => `"${v}"`).join(', ') || 'none'}`,
  );
  return { vim: applyVimDefaults(vim), cfg };
}

export async function deadletters(
  args: CliArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const [action, ...ids] = args.files;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number]))
    throw new Error(`deadletters needs an action: ${ACTIONS.join(', ')}; see --help`);
  const { vim, cfg } = await vimOf(args, err);
  const print = (v: unknown) => out.write(`${JSON.stringify(v, null, 2)}\n`);
  if (action === 'list') {
    print(await listDeadLetters(vim, cfg.transport, args.limit));
    return 0;
  }
  if (action === 'show') {
    if (ids.length !== 1) throw new Error('deadletters show needs one ID (from deadletters list)');
    const one = await showDeadLetter(vim, cfg.transport, ids[0], args.limit);
    if (!one) {
      err.write(
        `no dead letter "${ids[0]}" among the first ${args.limit}; deadletters list shows them (--limit for more)\n`,
      );
      return 1;
    }
    print(one);
    return 0;
  }
  if (!args.all && ids.length === 0)
    throw new Error('deadletters redrive needs the IDs to re-drive (from deadletters list), or --all');
  const r = await redriveDeadLetters(vim, cfg.transport, args.all ? { all: true } : { ids });
  print(r);
  return r.missing.length > 0 ? 1 : 0;
}
