/** The fault object of ERROR messages: nova's reason, from real error samples. */
import { matchSubscriptions } from '../../../src/filter/match.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import { faultOf } from '../../../src/normalize/fault.js';
import { serializeMessage, toVmMessage } from '../../../src/normalize/vm-message.js';
import { renderVmMessages } from '../../../src/steps/render.js';
import type { Subscription } from '../../../src/model/subscription.js';
import { expandVersioned, loadJson, toWireV2 } from '../../helpers/fixtures.js';
import { schemaErrors } from './vm-schema.js';

const VIM = 'vio-1';
const subs: Subscription[] = [
  { id: 'err', vimId: VIM, states: ['ERROR'], topic: 'T' },
  { id: 'all', vimId: VIM, states: ['*'], topic: 'U' },
];

function parsed(body: unknown) {
  const p = parseNotification(Buffer.from(JSON.stringify(body)));
  if (!p.ok) throw new Error(p.error.message);
  return p.notification;
}

describe('the fault of an ERROR message', () => {
  // nova's doc/notification_samples/instance-create-error.json (test/fixtures/nova-versioned).
  const versioned = parsed(toWireV2(expandVersioned('instance-create-error.json'), { messageId: 'm-err' }));

  it("takes a versioned ExceptionPayload's class and message, never the traceback", () => {
    expect(faultOf(versioned)).toEqual({
      exception: 'FlavorDiskTooSmall',
      message: "The created instance's disk would be too small.",
      code: null,
    });
  });

  it('is the last key of the published ERROR message, valid against the schema, and absent when switched off', () => {
    const matches = matchSubscriptions(VIM, versioned, subs);
    expect(matches.map((m) => m.event)).toEqual(['ERROR', 'ERROR']);
    const [r] = [...renderVmMessages(VIM, versioned, matches).values()];
    const msg = JSON.parse(r!.json) as Record<string, unknown>;
    expect(Object.keys(msg).pop()).toBe('fault');
    expect(msg.fault).toEqual(faultOf(versioned));
    expect(schemaErrors(msg)).toBe('');
    expect(r!.json).toBe(serializeMessage(toVmMessage(VIM, versioned, matches[0], undefined, faultOf(versioned))));
    const [off] = [...renderVmMessages(VIM, versioned, matches, undefined, { errorFault: false }).values()];
    expect(JSON.parse(off!.json)).not.toHaveProperty('fault');
  });

  it("takes a legacy payload's message and code (nova exception_to_dict) and exception", () => {
    // A real legacy instance payload (designate's compute.instance.create.start) sent as
    // compute.instance.create.error with what nova's notify_about_instance_usage(fault=e) adds.
    const sample = loadJson('nova-legacy/designate/compute.instance.create.start.json') as {
      payload: Record<string, unknown>;
    };
    const body = {
      ...sample,
      event_type: 'compute.instance.create.error',
      priority: 'ERROR',
      payload: {
        ...sample.payload,
        message: 'No valid host was found. There are not enough hosts available.',
        code: 500,
        exception: 'NoValidHost',
      },
    };
    const n = parsed(body);
    expect(faultOf(n)).toEqual({
      exception: 'NoValidHost',
      message: 'No valid host was found. There are not enough hosts available.',
      code: 500,
    });
    const [r] = [...renderVmMessages(VIM, n, matchSubscriptions(VIM, n, subs)).values()];
    expect(schemaErrors(JSON.parse(r!.json))).toBe('');
  });

  it('is not added to other events', () => {
    const end = parsed(toWireV2(expandVersioned('instance-power_off-end.json')));
    const [r] = [...renderVmMessages(VIM, end, matchSubscriptions(VIM, end, subs)).values()];
    expect(JSON.parse(r!.json)).not.toHaveProperty('fault');
  });
});
