/**
 * The notifications the bench publishes: real fixture payloads (nova's versioned samples and
 * legacy samples from ceilometer, designate, watcher and VIO), wrapped as oslo.messaging puts
 * them on the wire (mostly messagingv2, some messaging 1.0), legacy and versioned mixed, most
 * of them matching a subscription. Each body is built once per template with a placeholder
 * message_id, so a run only splices ids in.
 */
import { parseNotification } from '../src/notifications/parse.js';
import { matchSubscriptions } from '../src/filter/match.js';
import { renderVmMessages } from '../src/steps/render.js';
import type { Subscription } from '../src/model/subscription.js';
import {
  expandVersioned,
  legacySample,
  loadJson,
  routingKeyFor,
  toWireV1,
  toWireV2,
  type Sample,
} from '../test/helpers/fixtures.js';

/** The relay's subscriptions in every scenario (as config/default.json has them). */
export function benchSubscriptions(vimId: string): Subscription[] {
  return [
    { id: `${vimId}-power`, vimId, states: ['POWER_OFF', 'DELETE'], topic: 'VIM_VM_EVENTS' },
    { id: `${vimId}-all`, vimId, states: ['*'], topic: 'VIM_ALL_EVENTS' },
  ];
}

export type Source = {
  readonly kind: 'versioned' | 'legacy' | 'wire';
  readonly file: string;
  readonly weight: number;
  readonly v1?: boolean;
};

/* Weights: what a busy cloud sends is mostly completed operations; starts and unrelated notifications are filtered. */
const SOURCES: readonly Source[] = [
  { kind: 'versioned', file: 'instance-power_off-end.json', weight: 6 },
  { kind: 'versioned', file: 'instance-power_on-end.json', weight: 6 },
  { kind: 'versioned', file: 'instance-create-end.json', weight: 5 },
  { kind: 'versioned', file: 'instance-delete-end.json', weight: 5 },
  { kind: 'versioned', file: 'instance-reboot-end.json', weight: 3 },
  { kind: 'versioned', file: 'instance-rebuild-end.json', weight: 2 },
  { kind: 'versioned', file: 'instance-pause-end.json', weight: 2 },
  { kind: 'versioned', file: 'instance-shutdown-end.json', weight: 2 },
  { kind: 'versioned', file: 'instance-suspend-end.json', weight: 2 },
  { kind: 'versioned', file: 'instance-resize_finish-end.json', weight: 1 },
  { kind: 'versioned', file: 'instance-update.json', weight: 3 },
  { kind: 'versioned', file: 'instance-power_off-start.json', weight: 2 },
  { kind: 'versioned', file: 'instance-create-start.json', weight: 1 },
  { kind: 'versioned', file: 'aggregate-create-end.json', weight: 1 },
  { kind: 'wire', file: 'oslo-wire/sample-wire-legacy.json', weight: 6, v1: true },
  { kind: 'legacy', file: 'ceilometer/compute.instance.create.end.json', weight: 4 },
  { kind: 'legacy', file: 'designate/compute.instance.shutdown.end.json', weight: 2 },
  { kind: 'legacy', file: 'watcher/scenario3_legacy_instance-delete-end.json', weight: 4 },
  { kind: 'legacy', file: 'watcher/scenario3_legacy_instance-rebuild-end.json', weight: 2 },
  { kind: 'legacy', file: 'watcher/scenario3_legacy_livemigration-post-dest-end.json', weight: 1 },
  { kind: 'legacy', file: 'ceilometer/compute.instance.finish_resize.end.json', weight: 1 },
  { kind: 'legacy', file: 'designate/compute.instance.create.start.json', weight: 1, v1: true },
  { kind: 'legacy', file: 'designate/network.floating_ip.allocate.json', weight: 1 },
];

/**
 * The filtered-traffic mix (issue 17): what a real cloud mostly sends and no subscription wants,
 * 80 of 100 (hourly `compute.instance.exists` for every VM, `update` without a state change,
 * `.start` events), then 20 of 100 that are subscribed. buildCorpus checks each template's
 * fate with the relay's own code, so a weight here that matched would be caught.
 */
export const FILTERED_SOURCES: readonly Source[] = [
  { kind: 'versioned', file: 'instance-exists.json', weight: 20 },
  { kind: 'legacy', file: 'ceilometer/compute.instance.exists.json', weight: 20 },
  { kind: 'versioned', file: 'instance-update.json', weight: 12 },
  { kind: 'legacy', file: 'watcher/scenario3_legacy_instance-update.json', weight: 8 },
  { kind: 'versioned', file: 'instance-power_off-start.json', weight: 4 },
  { kind: 'versioned', file: 'instance-power_on-start.json', weight: 4 },
  { kind: 'versioned', file: 'instance-reboot-start.json', weight: 4 },
  { kind: 'versioned', file: 'instance-create-start.json', weight: 2 },
  { kind: 'legacy', file: 'designate/compute.instance.create.start.json', weight: 2, v1: true },
  { kind: 'legacy', file: 'designate/compute.instance.delete.start.json', weight: 2 },
  { kind: 'legacy', file: 'designate/compute.instance.shutdown.start.json', weight: 2 },
  // The subscribed 20 %.
  { kind: 'versioned', file: 'instance-power_off-end.json', weight: 5 },
  { kind: 'versioned', file: 'instance-power_on-end.json', weight: 4 },
  { kind: 'versioned', file: 'instance-delete-end.json', weight: 3 },
  { kind: 'versioned', file: 'instance-create-end.json', weight: 3 },
  { kind: 'wire', file: 'oslo-wire/sample-wire-legacy.json', weight: 3, v1: true },
  { kind: 'legacy', file: 'watcher/scenario3_legacy_instance-delete-end.json', weight: 2 },
];

const PLACEHOLDER = 'BENCHMESSAGEIDPLACEHOLDER';

export interface Template {
  readonly name: string;
  readonly routingKey: string;
  /** The wire body split around the message_id placeholder. */
  readonly parts: readonly string[];
  /** DMaaP messages the relay publishes for one of these (0 = filtered). */
  readonly published: number;
}

export interface Corpus {
  /** One entry per weight unit, cycled through in order. */
  readonly cycle: readonly Template[];
  readonly templates: readonly Template[];
  body(t: Template, messageId: string): Buffer;
  /** DMaaP messages expected for `n` notifications taken from the start of the cycle. */
  expectedPublished(n: number): number;
  /** Mean body size in bytes over the cycle. */
  readonly meanBytes: number;
  /** One published VM message (JSON text) per matching template, as the relay renders it. */
  readonly rendered: readonly string[];
  /** Share of the cycle's notifications that no subscription wants (0..1). */
  readonly filteredShare: number;
}

function sampleOf(s: Source): Sample {
  if (s.kind === 'versioned') return expandVersioned(s.file);
  if (s.kind === 'legacy') return legacySample(s.file);
  return (loadJson(s.file) as { body: Sample }).body;
}

/** What the relay's own code makes of one of these: the DMaaP messages; refuses unmappable ones. */
async function renderedFor(name: string, body: string, vimId: string): Promise<string[]> {
  const parsed = parseNotification(Buffer.from(body));
  if (!parsed.ok) throw new Error(`bench template ${name} does not parse: ${parsed.error.message}`);
  const matches = matchSubscriptions(vimId, parsed.notification, benchSubscriptions(vimId));
  if (matches.length === 0) return [];
  const rendered = renderVmMessages(vimId, parsed.notification, matches);
  return [...rendered.values()].flatMap((v) => (v === null ? [] : [v.json]));
}

export async function buildCorpus(sources: readonly Source[] = SOURCES): Promise<Corpus> {
  const templates: Template[] = [];
  const cycle: Template[] = [];
  const rendered: string[] = [];
  for (const s of sources) {
    const sample = sampleOf(s);
    const wire = (s.v1 ? toWireV1 : toWireV2)(sample, {
      messageId: PLACEHOLDER,
      timestamp: new Date('2026-11-22T00:30:05.336Z'),
    });
    const text = JSON.stringify(wire);
    const out = await renderedFor(s.file, text, 'bench');
    if (out[0] !== undefined) rendered.push(out[0]);
    const t: Template = {
      name: s.file,
      routingKey: routingKeyFor(sample),
      parts: text.split(PLACEHOLDER),
      published: out.length,
    };
    if (t.parts.length !== 2)
      throw new Error(`bench template ${s.file}: expected one message_id placeholder, found ${t.parts.length - 1}`);
    templates.push(t);
    for (let i = 0; i < s.weight; i++) cycle.push(t);
  }
  // Interleave so that a short run sees the same mix as a long one.
  const mixed = interleave(cycle);
  const perCycle = mixed.map((t) => t.published);
  const meanBytes = mixed.reduce((a, t) => a + t.parts[0].length + t.parts[1].length + 36, 0) / mixed.length;
  return {
    cycle: mixed,
    templates,
    meanBytes,
    rendered,
    filteredShare: perCycle.filter((p) => p === 0).length / perCycle.length,
    body: (t, id) => Buffer.from(t.parts[0] + id + t.parts[1], 'utf8'),
    expectedPublished(n) {
      let total = 0;
      for (let i = 0; i < n; i++) total += perCycle[i % perCycle.length];
      return total;
    },
  };
}

/** Spreads equal templates apart (stride through the list), deterministically. */
function interleave(list: readonly Template[]): Template[] {
  const stride = 7;
  const out: Template[] = [];
  const used = new Array<boolean>(list.length).fill(false);
  let i = 0;
  while (out.length < list.length) {
    while (used[i]) i = (i + 1) % list.length;
    used[i] = true;
    out.push(list[i]);
    i = (i + stride) % list.length;
  }
  return out;
}
