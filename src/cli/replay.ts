/**
 * `replay --vim ID FILE...`: what the daemon would publish for each file, one JSON line per
 * message `{"file","topic","subscription","message"}`; no broker, no DMaaP. Subscriptions come
 * from the store when it exists (the source of truth), else from the config file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { parseNotification } from '../notifications/parse.js';
import { matchSubscriptions } from '../filter/match.js';
import { renderMessages } from '../daemon/render.js';
import type { Subscription } from '../filter/types.js';
import type { CliArgs } from './args.js';

function subscriptionsFor(storePath: string, fromConfig: Subscription[]): Subscription[] {
  if (!existsSync(storePath)) return fromConfig;
  const state = JSON.parse(readFileSync(storePath, 'utf8')) as { subscriptions?: Subscription[] };
  return state.subscriptions ?? [];
}

export async function replay(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!args.vim) throw new Error('replay needs --vim ID');
  if (args.files.length === 0) throw new Error('replay needs at least one FILE');
  const cfg = loadConfig(resolveConfigPath(args.config));
  const subs = subscriptionsFor(cfg.store.path, cfg.subscriptions);
  let failures = 0;
  for (const file of args.files) {
    const report = (code: string, message: string) => {
      failures++;
      err.write(`${JSON.stringify({ file, error: { code, message } })}\n`);
    };
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch (e) {
      report('NOT_FOUND', (e as Error).message);
      continue;
    }
    const parsed = parseNotification(body);
    if (!parsed.ok) {
      report(parsed.error.code, parsed.error.message);
      continue;
    }
    const matches = matchSubscriptions(args.vim, parsed.notification, subs);
    if (matches.length === 0) err.write(`${JSON.stringify({ file, matched: 0, event_type: parsed.notification.eventType })}\n`);
    try {
      for (const [m, json] of await renderMessages(args.vim, parsed.notification, matches)) {
        if (json !== null) out.write(`${JSON.stringify({ file, topic: m.subscription.topic, subscription: m.subscription.id, message: JSON.parse(json) as unknown })}\n`);
      }
    } catch (e) {
      report((e as { code?: string }).code ?? 'UNMAPPABLE', (e as Error).message);
    }
  }
  return failures > 0 ? 1 : 0;
}
