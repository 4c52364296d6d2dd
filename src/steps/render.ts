/**
 * Matches -> serialised messages, shared by the daemon's pipeline and the `replay` command so
 * that replay prints exactly what the daemon would publish.
 *
 * Decisions with memory (compute nodes, VM alarms) are PreparedSteps
 * (src/store/prepared-step.ts), each with its own records: the compute-node step's are the
 * messages its RenderedMatches route to, a side step's are its value. The pipeline commits a
 * step once all of its own records were accepted, whatever the notification's other records
 * answer, and releases every step at the end.
 */
import { serializeFields, toVmFields, vmMessageJson } from '../normalize/vm-message.js';
import type { VmFields } from '../normalize/vm-fields.js';
import { faultOf } from '../normalize/fault.js';
import { RelayError } from '../errors.js';
import type { Match } from '../model/subscription.js';
import type { Notification } from '../notifications/types.js';
import type { DestinationName, OutboundRecord } from '../publish/destination.js';
import type { PreparedStep } from '../store/prepared-step.js';

export type { PreparedStep };

/** One serialised message and the key that keeps one VM's (or node's) events in order on Kafka. */
export interface Rendered {
  readonly json: string;
  readonly key: string;
}

/** A match's message, or null when the match publishes nothing (a compute-node update with no change). */
export type RenderedMatches = Map<Match, Rendered | null>;

/**
 * Compute-node rendering with its per-node memory; the step's own records are the messages its
 * value routes to. Throws RelayError(UNMAPPABLE).
 */
export interface ComputeNodeStep {
  prepare(vimId: string, n: Notification, matches: readonly Match[]): Promise<PreparedStep<RenderedMatches>>;
}

export const isComputeNodeMatch = (matches: readonly Match[]): boolean =>
  matches.length > 0 && matches[0].event.startsWith('COMPUTE_NODE_');

/** How messages are rendered, from the configuration (normalize.*). */
export interface RenderOptions {
  /** ERROR messages carry nova's exception, message and code in `fault` (normalize.errorFault). */
  readonly errorFault: boolean;
}

export const DEFAULT_RENDER: RenderOptions = { errorFault: true };

/**
 * Instance events: one serialised message per distinct event; a Map entry per match. Throws
 * RelayError(UNMAPPABLE). `fields` gives toVmFields(n), for a caller that already mapped the
 * payload (or will).
 */
export function renderVmMessages(
  vimId: string,
  n: Notification,
  matches: readonly Match[],
  fields: () => VmFields = () => toVmFields(n),
  opts: RenderOptions = DEFAULT_RENDER,
): RenderedMatches {
  const byEvent = new Map<string, Rendered>();
  const out: RenderedMatches = new Map();
  let fieldsJson: string | undefined;
  for (const m of matches) {
    let r = byEvent.get(m.event);
    if (r === undefined) {
      // The instance keys are serialised once; each event only puts its envelope in front.
      const f = fields();
      const fault = opts.errorFault && m.event === 'ERROR' ? faultOf(n) : undefined;
      r = { json: vmMessageJson(vimId, n, m, (fieldsJson ??= serializeFields(f)), fault), key: f.instance_id ?? '' };
      byEvent.set(m.event, r);
    }
    out.set(m, r);
  }
  return out;
}

const NOTHING_TO_KEEP = { commit: async (): Promise<void> => {}, release: (): void => {} };

/**
 * What the matches publish, as the daemon and `replay` both decide it. Throws
 * RelayError(UNMAPPABLE), also when compute-node events arrive and no step handles them.
 */
export async function renderMatches(
  vimId: string,
  n: Notification,
  matches: readonly Match[],
  computeNode?: ComputeNodeStep,
  fields: () => VmFields = () => toVmFields(n),
  opts: RenderOptions = DEFAULT_RENDER,
): Promise<PreparedStep<RenderedMatches>> {
  if (!isComputeNodeMatch(matches))
    return { value: renderVmMessages(vimId, n, matches, fields, opts), ...NOTHING_TO_KEEP };
  if (!computeNode) throw new RelayError('UNMAPPABLE', `${n.eventType}: compute-node events are not enabled`);
  return computeNode.prepare(vimId, n, matches);
}

/** One record for one destination; `subscription` is '' for records no subscription asked for (VES). */
export interface Routed {
  readonly destination: DestinationName;
  readonly record: OutboundRecord;
  readonly subscription: string;
}

/** Records a notification produces beside its subscribed messages (VES fault events); undefined = none. */
export interface SideStep {
  /**
   * Whether this step may produce anything for a notification of this VIM and event type,
   * before it is parsed; true when unsure. false lets the filtered fast path ack it unread.
   */
  mayWant(vimId: string, eventType: string): boolean;
  /** Its records, as a step committed once all of them were accepted; undefined = none. */
  prepare(vimId: string, n: Notification, fields: () => VmFields): Promise<PreparedStep<readonly Routed[]> | undefined>;
}
