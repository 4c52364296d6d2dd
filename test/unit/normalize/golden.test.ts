import { matchSubscriptions } from '../../../src/filter/match.js';
import type { Phase, Subscription } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import { serializeMessage, toVmMessage } from '../../../src/normalize/vm-message.js';
import { expandVersioned, loadJson, toWireV2 } from '../../helpers/fixtures.js';
import { schemaErrors } from './vm-schema.js';

const VIM = 'vio-1';
const AT = new Date(Date.UTC(2026, 10, 22, 0, 30, 12, 345));
const vio = () => ({
  event_type: 'compute.instance.power_off.start',
  publisher_id: 'compute.compute01',
  priority: 'INFO',
  payload: loadJson('vio/vio-compute.instance-payload-powering-off.json'),
});

/** See test/fixtures/golden/README.md. */
const CASES: Array<[string, () => unknown, string[], Phase[] | undefined]> = [
  [
    'legacy-power_off.end.json',
    () => loadJson('oslo-wire/sample-wire-legacy-messagingv2.json').body,
    ['POWER_OFF'],
    undefined,
  ],
  [
    'legacy-create.end.json',
    () => loadJson('nova-legacy/designate/compute.instance.create.end.json'),
    ['CREATE'],
    undefined,
  ],
  [
    'versioned-power_off.end.json',
    () =>
      toWireV2(expandVersioned('instance-power_off-end.json'), {
        messageId: '5f7c3a52-1d2e-4d6b-9a0e-2b9c8e3f4a10',
        timestamp: AT,
      }),
    ['POWER_OFF'],
    undefined,
  ],
  [
    'versioned-delete.end.json',
    () =>
      toWireV2(expandVersioned('instance-delete-end.json'), {
        messageId: 'c1a9e0d4-7b3f-4e52-8f61-0d2a4b6c8e90',
        timestamp: AT,
      }),
    ['DELETE'],
    undefined,
  ],
  [
    'vio-power_off.start.json',
    () =>
      toWireV2(vio(), {
        messageId: '0b8e2f3c-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
        timestamp: new Date(Date.UTC(2018, 2, 7, 6, 10)),
      }),
    ['POWER_OFF'],
    ['start'],
  ],
];

describe('golden VM messages', () => {
  it.each(CASES)('%s', (golden, body, states, phases) => {
    const parsed = parseNotification(Buffer.from(JSON.stringify(body())));
    if (!parsed.ok) throw parsed.error;
    const sub: Subscription = { id: 'g', vimId: VIM, states, topic: 'VIM_VM_EVENTS', ...(phases ? { phases } : {}) };
    const [match, ...more] = matchSubscriptions(VIM, parsed.notification, [sub]);
    expect(more).toEqual([]);
    const text = serializeMessage(toVmMessage(VIM, parsed.notification, match));
    const expected = loadJson(`golden/${golden}`);
    expect(JSON.parse(text)).toEqual(expected);
    expect(Object.keys(JSON.parse(text))).toEqual(Object.keys(expected));
    expect(schemaErrors(expected)).toBe('');
  });

  it('does not publish the VIO power_off.start to a subscription that keeps the default phases', () => {
    const parsed = parseNotification(toWireV2(vio()));
    if (!parsed.ok) throw parsed.error;
    expect(
      matchSubscriptions(VIM, parsed.notification, [{ id: 'g', vimId: VIM, states: ['POWER_OFF'], topic: 'T' }]),
    ).toEqual([]);
  });
});
