/**
 * Matches -> serialised messages, shared by the daemon's pipeline and the `replay` command so
 * that replay prints exactly what the daemon would publish.
 */
import { serializeFields, toVmFields, vmMessageJson } from '../normalize/vm-message.js';
import type { VmFields } from '../normalize/vm-fields.js';
import { RelayError } from '../errors.js';
import type { Match } from '../filter/types.js';
import type { Notification } from '../notifications/types.js';

/** Compute-node rendering (with its per-node memory); null for a match = suppressed, no change. */
export type ComputeNodeRenderer = (vimId: string, n: Notification, matches: readonly Match[]) => Promise<Map<Match, string | null>>;

/**
 * One serialised message per distinct event; a Map entry per match. Throws RelayError(UNMAPPABLE).
 * `fields` gives toVmFields(n), for a caller that already mapped the payload (or will).
 */
export async function renderMessages(
  vimId: string, n: Notification, matches: readonly Match[], computeNode?: ComputeNodeRenderer, fields: () => VmFields = () => toVmFields(n),
): Promise<Map<Match, string | null>> {
  if (matches.length && matches[0]!.event.startsWith('COMPUTE_NODE_')) {
    if (!computeNode) throw new RelayError('UNMAPPABLE', `${n.eventType}: compute-node events are not enabled`);
    return computeNode(vimId, n, matches);
  }
  const byEvent = new Map<string, string>();
  const out = new Map<Match, string | null>();
  let fieldsJson: string | undefined;
  for (const m of matches) {
    let json = byEvent.get(m.event);
    if (json === undefined) {
      // The instance keys are serialised once; each event only puts its envelope in front.
      json = vmMessageJson(vimId, n, m, (fieldsJson ??= serializeFields(fields())));
      byEvent.set(m.event, json);
    }
    out.set(m, json);
  }
  return out;
}
