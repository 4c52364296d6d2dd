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
import { renderMatches } from '../daemon/render.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../daemon/compute-nodes.js';
import type { Subscription } from '../filter/types.js';
import type { ComputeNodeMemory } from '../store/state-store.js';
import { silentLogger } from '../util/logger.js';
import type { CliArgs } from './args.js';

function stateFor(storePath: string, fromConfig: Subscription[]): { subscriptions: Subscription[]; computeNodes: ComputeNodeMemory } {
  if (!existsSync(storePath)) return { subscriptions: fromConfig, computeNodes: {} };
  const state = JSON.parse(readFileSync(storePath, 'utf8')) as { subscriptions?: Subscription[]; computeNodes?: ComputeNodeMemory };
  return { subscriptions: state.subscriptions ?? [], computeNodes: state.computeNodes ?? {} };
}

export async function replay(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (!args.vim) throw new Error('replay needs --vim ID');
  if (args.files.length === 0) throw new Error('replay needs at least one FILE');
  const cfg = loadConfig(resolveConfigPath(args.config));
  const { subscriptions: subs, computeNodes } = stateFor(cfg.store.path, cfg.subscriptions);
  const memory = new InMemoryNodeMemory(computeNodes);
  // Nothing here can fail to publish, so every rendered notification counts as published.
  const nodes = new ComputeNodeTracker(() => memory, silentLogger());
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
      const step = await renderMatches(args.vim, parsed.notification, matches, nodes);
      try {
        const rendered = step.value;
        for (const [m, r] of rendered) {
          if (r === null) continue;
          const sink = m.subscription.sink ?? cfg.sinks.default;
          out.write(`${JSON.stringify({ file, sink, topic: m.subscription.topic, subscription: m.subscription.id, message: JSON.parse(r.json) as unknown })}\n`);
        }
        // A compute-node update that changed no tracked field: say so, or the silence looks like a fault.
        if (rendered.size > 0 && [...rendered.values()].every((r) => r === null)) {
          err.write(`${JSON.stringify({ file, suppressed: rendered.size, event_type: parsed.notification.eventType })}\n`);
        }
        await step.commit();
      } finally {
        step.release();
      }
    } catch (e) {
      report((e as { code?: string }).code ?? 'UNMAPPABLE', (e as Error).message);
    }
  }
  return failures > 0 ? 1 : 0;
}
