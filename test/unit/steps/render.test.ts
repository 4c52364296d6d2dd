/**
 * renderVmMessages splices each event's envelope in front of the instance keys serialised once:
 * the text must be exactly what serializeMessage(toVmMessage(...)) writes, for every instance
 * notification in the fixtures, whatever characters their values hold.
 */
import { renderMatches, renderVmMessages } from '../../../src/steps/render.js';
import { faultOf } from '../../../src/normalize/fault.js';
import { matchSubscriptions } from '../../../src/filter/match.js';
import type { Subscription } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import { serializeMessage, toVmFields, toVmMessage } from '../../../src/normalize/vm-message.js';
import {
  expandVersioned,
  legacySample,
  listLegacySamples,
  listVersionedSamples,
  toWireV2,
  type Sample,
} from '../../helpers/fixtures.js';

const VIM = 'vio-"1"\u00e9';
const SUBS: Subscription[] = [
  { id: 'all', vimId: VIM, states: ['*'], topic: 'A', phases: ['start', 'end', 'error'] },
  { id: 'errors', vimId: VIM, states: ['ERROR'], topic: 'B' },
  { id: 'power', vimId: VIM, states: ['POWER_OFF', 'DELETE'], topic: 'C' },
];

const samples: [string, Sample][] = [
  ...listVersionedSamples().map((f) => [`versioned ${f}`, expandVersioned(f)] as [string, Sample]),
  ...listLegacySamples().map((f) => [`legacy ${f}`, legacySample(f)] as [string, Sample]),
];

const cases = samples.flatMap(([name, sample]) => {
  const parsed = parseNotification(Buffer.from(JSON.stringify(toWireV2(sample, { messageId: 'mid-"\\-\u2028' }))));
  if (!parsed.ok) return [];
  const matches = matchSubscriptions(VIM, parsed.notification, SUBS);
  if (matches.length === 0 || matches[0].event.startsWith('COMPUTE_NODE_')) return [];
  try {
    toVmFields(parsed.notification);
  } catch {
    return []; // unmappable: dead-lettered, nothing rendered
  }
  return [[name, parsed.notification, matches] as const];
});

describe('renderVmMessages', () => {
  it('covers a good share of the fixtures', () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases)('%s: each message is exactly serializeMessage(toVmMessage())', async (_name, n, matches) => {
    const rendered = renderVmMessages(VIM, n, matches);
    for (const m of matches)
      expect(rendered.get(m)).toEqual({
        json: serializeMessage(toVmMessage(VIM, n, m, undefined, faultOf(n))),
        key: toVmFields(n).instance_id ?? '',
      });
    // renderMatches, as the pipeline and replay call it, gives the same for instance events.
    expect((await renderMatches(VIM, n, matches)).value).toEqual(rendered);
  });

  it('maps the payload once per notification, whatever the number of topics', async () => {
    const [, n, matches] = cases.find(([, , ms]) => ms.length > 1)!;
    let calls = 0;
    renderVmMessages(VIM, n, matches, () => (calls++, toVmFields(n)));
    expect(calls).toBe(1);
  });
});
