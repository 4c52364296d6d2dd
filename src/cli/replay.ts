/**
 * `replay --vim ID FILE...`: what the daemon would publish for each file, one JSON line per
 * message `{"file","sink","topic","subscription","message"}`; no broker, no DMaaP. Subscriptions come
 * from the configured store when it exists (the source of truth: the file at store.path, or
 * PostgreSQL at store.url, read-only), else from the config file; the first stderr line names it.
 * Compute-node events are decided against an in-memory copy of the store's node memory, which
 * the files then change in order as if each were published; the store is never written.
 */
import { readFileSync } from 'node:fs';
import { preview, type PreviewContext } from '../steps/preview.js';
import type { CliArgs } from './args.js';
import { previewSource } from './preview-source.js';

interface Tally {
  files: number;
  messages: number;
  unmatched: number;
  suppressed: number;
  failed: number;
}

export async function replay(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.files.length === 0) throw new Error('replay needs at least one FILE');
  const ctx: PreviewContext = { ...(await previewSource('replay', args, err)), commit: true };
  const tally: Tally = { files: args.files.length, messages: 0, unmatched: 0, suppressed: 0, failed: 0 };
  for (const file of args.files) await replayFile(file, ctx, out, err, tally);
  // The last stderr line: what the run amounted to, so that an empty stdout is never a mystery.
  err.write(`${JSON.stringify({ summary: { vim: args.vim, ...tally } })}\n`);
  return tally.failed > 0 ? 1 : 0;
}

async function replayFile(
  file: string,
  ctx: PreviewContext,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  tally: Tally,
): Promise<void> {
  const line = (stream: NodeJS.WritableStream, v: unknown) => stream.write(`${JSON.stringify(v)}\n`);
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    tally.failed++;
    return void line(err, { file, error: { code: 'NOT_FOUND', message: (e as Error).message } });
  }
  const p = await preview(body, ctx);
  if (!p.ok) {
    tally.failed++;
    return void line(err, { file, error: p.error });
  }
  for (const m of p.sent) {
    tally.messages++;
    line(out, { file, ...m });
  }
  if (p.sent.length === 0 && p.suppressed === 0) {
    tally.unmatched++;
    // Why: the first subscription's reason when they all say the same, else `explain` lists each.
    const reasons = [...new Set(p.not_sent.map((x) => x.reason))];
    const reason =
      reasons.length === 1
        ? reasons[0]
        : reasons.length
          ? 'see `vim-event-relay explain` for each subscription'
          : 'the VIM has no subscriptions';
    line(err, { file, matched: 0, event_type: p.event_type, state: p.state, reason });
  }
  // A compute-node update that changed no tracked field: say so, or the silence looks like a fault.
  if (p.sent.length === 0 && p.suppressed > 0) {
    tally.suppressed++;
    line(err, { file, suppressed: p.suppressed, event_type: p.event_type });
  }
}
