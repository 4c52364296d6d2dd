/**
 * parseNotification must never throw: whatever a broker hands over, the answer is a
 * Notification or a RelayError with a catalogue code (so it can be dead-lettered with a reason).
 */
import fc from 'fast-check';
import { ERRORS, RelayError } from '../../../src/errors.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import { expandVersioned, legacySample, loadJson, toAmqp1Body, toWireV1, toWireV2 } from '../../helpers/fixtures.js';

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

const PARSE_CODES = new Set(['NOT_JSON', 'BAD_ENVELOPE', 'NOT_A_NOTIFICATION']);

/** Plain checks, not expect(): this runs tens of thousands of times. */
function assertWellFormed(body: unknown): void {
  const r = parseNotification(body);
  if (!r.ok) {
    if (!(r.error instanceof RelayError) || !(r.error.code in ERRORS) || !PARSE_CODES.has(r.error.code)) {
      throw new Error(`not a parse RelayError: ${String(r.error)}`);
    }
    return;
  }
  const n = r.notification;
  const problems = [
    typeof n.eventType !== 'string' || n.eventType === '' ? 'eventType' : '',
    typeof n.messageId !== 'string' || n.messageId === '' ? 'messageId' : '',
    typeof n.publisherId !== 'string' ? 'publisherId' : '',
    n.priority !== n.priority.toUpperCase() ? 'priority' : '',
    n.timestamp !== '' && !ISO_Z.test(n.timestamp) ? 'timestamp' : '',
    typeof n.payload !== 'object' || n.payload === null || Array.isArray(n.payload) ? 'payload' : '',
    n.format !== ('nova_object.data' in n.payload ? 'versioned' : 'legacy') ? 'format' : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`malformed notification (${problems.join(', ')}): ${JSON.stringify(n)}`);
}

const samples = [
  expandVersioned('instance-power_off-end.json'),
  expandVersioned('instance-update.json'),
  legacySample('designate/compute.instance.create.end.json'),
  legacySample('searchlight/servers__instance-update-error-final.json'),
];
const realBodies: Buffer[] = [
  ...samples.flatMap((s) => [toWireV1(s), toWireV2(s), toAmqp1Body(s)]),
  ...['sample-wire-legacy.json', 'sample-wire-legacy-messagingv2.json', 'sample-wire-versioned.json'].map(
    (f) => loadJson(`oslo-wire/${f}`).body,
  ),
].map((b) => Buffer.from(JSON.stringify(b)));

const realBody = fc.constantFrom(...realBodies);

const truncated = fc.tuple(realBody, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1)));

const bitFlipped = fc
  .tuple(realBody, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }))
  .map(([b, flips]) => {
    const out = Buffer.from(b);
    for (const [i, bit] of flips) out[i % out.length] ^= 1 << bit;
    return out;
  });

const spliced = fc
  .tuple(realBody, fc.nat(), fc.nat({ max: 40 }), fc.uint8Array({ maxLength: 40 }))
  .map(([b, at, del, ins]) => {
    const i = at % (b.length + 1);
    return Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i + del)]);
  });

/** Replace one top-level or envelope-inner field of a real body with arbitrary JSON, or drop it. */
const fieldMutated = fc
  .tuple(realBody, fc.nat(), fc.option(fc.jsonValue(), { nil: undefined }))
  .map(([b, pick, value]) => {
    const outer = JSON.parse(b.toString('utf8')) as Record<string, unknown>;
    const inner =
      typeof outer['oslo.message'] === 'string'
        ? (JSON.parse(outer['oslo.message']) as Record<string, unknown>)
        : outer;
    const keys = Object.keys(inner);
    const key = keys[pick % keys.length];
    if (value === undefined) delete inner[key];
    else inner[key] = value;
    if (inner !== outer) outer['oslo.message'] = JSON.stringify(inner);
    return outer;
  });

const RUNS = { numRuns: 2000 };

describe('parseNotification never throws', () => {
  it('on random JSON values, as objects, text and bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assertWellFormed(v);
        assertWellFormed(JSON.stringify(v));
        assertWellFormed(Buffer.from(JSON.stringify(v) ?? ''));
      }),
      RUNS,
    );
  });

  it('on random notification-like objects', () => {
    const notificationLike = fc.record(
      {
        event_type: fc.oneof(fc.string(), fc.jsonValue()),
        publisher_id: fc.oneof(fc.string(), fc.jsonValue()),
        priority: fc.oneof(fc.constantFrom('info', 'ERROR', 'Warn'), fc.jsonValue()),
        message_id: fc.oneof(fc.uuid(), fc.jsonValue()),
        timestamp: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('T', ' ').replace('Z', '')),
          fc.string(),
          fc.jsonValue(),
        ),
        payload: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
        metadata: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(notificationLike, fc.boolean(), (o, wrap) => {
        assertWellFormed(wrap ? { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(o) } : o);
      }),
      RUNS,
    );
  });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => assertWellFormed(Buffer.from(bytes))),
      RUNS,
    );
  });

  it('on arbitrary JavaScript values', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
        assertWellFormed,
      ),
      RUNS,
    );
  });

  it('on truncated, bit-flipped and spliced real wire bodies', () => {
    fc.assert(fc.property(fc.oneof(truncated, bitFlipped, spliced), assertWellFormed), { numRuns: 6000 });
  });

  it('on real wire bodies with one field replaced or removed', () => {
    fc.assert(
      fc.property(fieldMutated, (o) => {
        assertWellFormed(o);
        assertWellFormed(Buffer.from(JSON.stringify(o)));
      }),
      RUNS,
    );
  });

  it('still parses every unmutated real body (the generators start from valid input)', () => {
    for (const b of realBodies) expect(parseNotification(b).ok).toBe(true);
  });
});
