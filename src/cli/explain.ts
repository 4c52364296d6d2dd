/**
 * `explain --vim ID FILE`: what the VIM's subscriptions would do with one notification body,
 * and why not: `{"file","event_type","message_id","state","sent":[{sink,topic,subscription,message}],
 * "not_sent":[{subscription,reason}],"suppressed"}` on stdout. The same preview as `replay` and
 * as the admin API's POST /api/v1/vims/{id}/explain; nothing is published or remembered.
 */
import { readFileSync } from 'node:fs';
import { preview } from '../steps/preview.js';
import type { CliArgs } from './args.js';
import { previewSource } from './preview-source.js';

export async function explain(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (args.files.length !== 1)
    throw new Error('explain needs exactly one FILE (a wire body, an oslo envelope or a bare message)');
  const ctx = await previewSource('explain', args, err);
  const [file] = args.files;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    err.write(`${JSON.stringify({ file, error: { code: 'NOT_FOUND', message: (e as Error).message } })}\n`);
    return 1;
  }
  const p = await preview(body, ctx);
  if (!p.ok) {
    err.write(`${JSON.stringify({ file, error: p.error })}\n`);
    return 1;
  }
  const { ok: _ok, ...explained } = p;
  out.write(`${JSON.stringify({ file, vim: ctx.vim, ...explained }, null, 2)}\n`);
  return 0;
}
