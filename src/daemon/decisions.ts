/**
 * What became of each notification, for the operator asking "why was this not published?": the
 * last decisions of each VIM in a bounded ring (GET /api/v1/vims/{id}/recent), filtered ones
 * included with their reason, and the same decision as one debug line. The pipeline records one
 * decision per notification it settles; a ring slot is overwritten in place, so the ring never
 * grows and a VIM's memory is DECISIONS_KEPT entries.
 */
import { stateLabel, type Classification } from '../filter/classify.js';
import type { Logger } from '../util/logger.js';
import { Ring } from '../util/ring.js';

/** Decisions kept per VIM. */
export const DECISIONS_KEPT = 100;

export type Outcome = 'published' | 'filtered' | 'duplicate' | 'dead-lettered' | 'requeued';

export interface Decision {
  /** ISO 8601, when the notification was settled. */
  readonly at: string;
  /** null when the notification was filtered by its event type without being read further. */
  readonly message_id: string | null;
  readonly event_type: string;
  /** The state its event type and priority classify as (README "Subscriptions and states"); null when none. */
  readonly state: string | null;
  /** The subscriptions whose records it produced ('' = a record no subscription asked for: VES). */
  readonly subscriptions: readonly string[];
  /** Where they went, "destination:topic". */
  readonly destinations: readonly string[];
  readonly outcome: Outcome;
  /** Why: which check filtered it, the error code and message, ... */
  readonly reason: string;
}

/** As the pipeline records it: the time as a number, formatted only when someone reads it. */
export type DecisionInput = Omit<Decision, 'at'>;
interface Entry {
  readonly atMs: number;
  readonly d: DecisionInput;
}

/** Why nothing wanted a notification, as the pipeline knows it without asking each subscription (explain does that). */
export function filteredReason(c: Classification | null, eventType: string, unread: boolean): string {
  const how = unread ? ' (acked from its event type, unread)' : '';
  if (!c) return `event type ${eventType} is neither an instance nor a compute-node event${how}`;
  if (c.state === null && c.kind === 'instance' && !c.error)
    return eventType.endsWith('update')
      ? `an update that changed no vm or task state${how}`
      : `event type ${eventType} maps to no state${how}`;
  const who = unread
    ? 'no subscription of this VIM, no check_vim_status window and no VES configuration'
    : 'no subscription of this VIM';
  return `${who} wants ${stateLabel(c)} (${c.phase})${how}`;
}

export class DecisionLog {
  private readonly rings = new Map<string, Ring<Entry>>();
  /** Fixed when the log is made: the level of the daemon's logger does not change while it runs. */
  private readonly debug: boolean;

  constructor(private readonly logger?: Logger) {
    this.debug = logger?.isDebugEnabled() ?? false;
  }

  record(vim: string, d: DecisionInput): void {
    let ring = this.rings.get(vim);
    if (!ring) this.rings.set(vim, (ring = new Ring<Entry>(DECISIONS_KEPT)));
    ring.push({ atMs: Date.now(), d });
    if (this.debug) this.logger?.debug('notification decided', { vim, ...d });
  }

  /** Newest first; [] for a VIM that decided nothing yet. */
  recent(vim: string): Decision[] {
    return (
      this.rings
        .get(vim)
        ?.newestFirst()
        .map((e) => ({ at: new Date(e.atMs).toISOString(), ...e.d })) ?? []
    );
  }

  forget(vim: string): void {
    this.rings.delete(vim);
  }
}
