/**
 * One notification body through a VIM's subscriptions, without publishing: what would be sent
 * where, and why each other subscription does not take it. The one machinery behind `replay`,
 * `explain` (CLI) and POST /api/v1/vims/{id}/explain; it renders exactly as the pipeline does
 * (renderMatches), against a copy of the compute-node memory that the caller chooses to keep
 * (replay: files change it in order) or not (explain).
 */
import { parseNotification } from '../notifications/parse.js';
import { classify, stateLabel } from '../filter/classify.js';
import { matchSubscriptions, whyNotMatched } from '../filter/match.js';
import type { Subscription } from '../model/subscription.js';
import { renderMatches, type ComputeNodeStep, type RenderOptions } from './render.js';

export interface PreviewContext {
  readonly vim: string;
  readonly subscriptions: readonly Subscription[];
  /** Compute-node events; decided against the memory it holds. */
  readonly nodes: ComputeNodeStep;
  readonly defaultSink: 'dmaap' | 'kafka';
  readonly render: RenderOptions;
  /** Remember what was "published" (replay: the next file sees it); default false. */
  readonly commit?: boolean;
}

export interface Previewed {
  readonly sink: string;
  readonly topic: string;
  readonly subscription: string;
  readonly message: unknown;
}

export type Preview =
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } }
  | {
      readonly ok: true;
      readonly event_type: string;
      readonly message_id: string;
      /** The state its event type classifies as (ERROR for a failure, NONE when none). */
      readonly state: string;
      readonly sent: readonly Previewed[];
      /** Subscriptions of this VIM that do not take it, each with the reason. */
      readonly not_sent: readonly { readonly subscription: string; readonly reason: string }[];
      /** Matches that publish nothing: a compute-node update that changed no tracked field. */
      readonly suppressed: number;
    };

export async function preview(body: Buffer, p: PreviewContext): Promise<Preview> {
  const parsed = parseNotification(body);
  if (!parsed.ok) return { ok: false, error: { code: parsed.error.code, message: parsed.error.message } };
  const n = parsed.notification;
  const c = classify(n);
  const matches = matchSubscriptions(p.vim, n, p.subscriptions, c);
  const not_sent = p.subscriptions
    .filter((s) => s.vimId === p.vim)
    .flatMap((s) => {
      const reason = whyNotMatched(p.vim, s, c, n.eventType);
      return reason === null ? [] : [{ subscription: s.id, reason }];
    });
  const sent: Previewed[] = [];
  let suppressed = 0;
  try {
    const step = await renderMatches(p.vim, n, matches, p.nodes, undefined, p.render);
    try {
      for (const [m, r] of step.value) {
        if (r === null) {
          suppressed++;
          continue;
        }
        const sink = m.subscription.sink ?? p.defaultSink;
        sent.push({
          sink,
          topic: m.subscription.topic,
          subscription: m.subscription.id,
          message: JSON.parse(r.json) as unknown,
        });
      }
      if (p.commit) await step.commit();
    } finally {
      step.release();
    }
  } catch (e) {
    return { ok: false, error: { code: (e as { code?: string }).code ?? 'UNMAPPABLE', message: (e as Error).message } };
  }
  return {
    ok: true,
    event_type: n.eventType,
    message_id: n.messageId,
    state: stateLabel(c),
    sent,
    not_sent,
    suppressed,
  };
}
