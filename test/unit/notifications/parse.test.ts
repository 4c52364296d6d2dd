import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import {
  expandVersioned,
  legacySample,
  listLegacySamples,
  listVersionedSamples,
  loadJson,
  toAmqp1Body,
  toWireV1,
  toWireV2,
  type Sample,
} from '../../helpers/fixtures.js';

function ok(body: unknown): Notification {
  const r = parseNotification(body);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.notification;
}

function errorOf(body: unknown): { code: string; message: string } {
  const r = parseNotification(body);
  if (r.ok) throw new Error(`expected an error, got ${r.notification.eventType}`);
  return { code: r.error.code, message: r.error.message };
}

const WHEN = new Date(Date.UTC(2026, 10, 22, 0, 30, 5, 336));
const WIRE: Array<[string, (s: Sample) => unknown]> = [
  ['v1 object', (s) => toWireV1(s, { messageId: 'mid-1', timestamp: WHEN })],
  ['v1 Buffer', (s) => Buffer.from(JSON.stringify(toWireV1(s, { messageId: 'mid-1', timestamp: WHEN })))],
  ['v2 string', (s) => JSON.stringify(toWireV2(s, { messageId: 'mid-1', timestamp: WHEN }))],
  ['v2 Buffer', (s) => Buffer.from(JSON.stringify(toWireV2(s, { messageId: 'mid-1', timestamp: WHEN })))],
  ['amqp1 Buffer', (s) => Buffer.from(JSON.stringify(toAmqp1Body(s, { messageId: 'mid-1', timestamp: WHEN })))],
];

describe('parseNotification: captured oslo bodies', () => {
  it.each([
    ['sample-wire-legacy.json', '0dd2be24-1f35-4417-88a8-bc8c15255b73', '2026-11-22T00:30:05.336446Z', 'legacy'],
    [
      'sample-wire-legacy-messagingv2.json',
      '2c14c31e-a2c0-4f5b-b592-d1ed893757d1',
      '2026-11-22T00:30:10.462085Z',
      'legacy',
    ],
    ['sample-wire-versioned.json', '1768fa6e-d14f-4d31-87af-9dadd4844133', undefined, 'versioned'],
  ])('%s as Buffer, text and object', (file, messageId, timestamp, format) => {
    const body = loadJson(`oslo-wire/${file}`).body;
    for (const input of [Buffer.from(JSON.stringify(body)), JSON.stringify(body), body]) {
      const n = ok(input);
      expect(n).toMatchObject({ messageId, format, priority: 'INFO' });
      expect(n.eventType).toMatch(/power_off\.end$/);
      if (timestamp) expect(n.timestamp).toBe(timestamp);
      expect(n.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
  });
});

describe('parseNotification: every versioned sample in every wire shape', () => {
  const cases = listVersionedSamples().flatMap((f) => WIRE.map(([shape, wrap]) => [f, shape, wrap] as const));
  it.each(cases)('%s (%s)', (file, _shape, wrap) => {
    const s = expandVersioned(file);
    const n = ok(wrap(s));
    expect(n).toEqual({
      messageId: 'mid-1',
      eventType: s.event_type,
      priority: s.priority,
      publisherId: s.publisher_id,
      timestamp: '2026-11-22T00:30:05.336000Z',
      payload: s.payload,
      format: 'versioned',
    });
  });
});

describe('parseNotification: every legacy sample as stored and on the wire', () => {
  it.each(listLegacySamples())('%s', (rel) => {
    const raw = loadJson(`nova-legacy/${rel}`);
    const s = legacySample(rel);
    const n = ok(Buffer.from(JSON.stringify(raw)));
    expect(n).toMatchObject({
      eventType: s.event_type,
      publisherId: s.publisher_id,
      payload: s.payload,
      format: 'legacy',
    });
    expect(n.priority).toBe((s.priority ?? '').toUpperCase());
    if (s.message_id) expect(n.messageId).toBe(s.message_id);
    else expect(n.messageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    if (s.timestamp) expect(n.timestamp).toBe(`${s.timestamp.replace(' ', 'T')}Z`);
    else expect(n.timestamp).toBe('');
    expect(ok(toWireV2(s, { messageId: 'w' })).payload).toEqual(s.payload);
  });

  it('gives a body without message_id the same id on redelivery and a different id for other bytes', () => {
    const bytes = Buffer.from(JSON.stringify(loadJson('nova-legacy/watcher/scenario3_legacy_instance-update.json')));
    const first = ok(bytes).messageId;
    expect(ok(Buffer.from(bytes)).messageId).toBe(first);
    expect(ok(bytes.toString('utf8')).messageId).toBe(first);
    const other = loadJson('nova-legacy/watcher/scenario3_notfound_legacy_instance-update.json');
    expect(ok(JSON.stringify(other)).messageId).not.toBe(first);
  });
});

describe('parseNotification: normalised fields', () => {
  const base = { event_type: 'compute.instance.update', publisher_id: 'compute.h', payload: { instance_id: 'x' } };
  it.each([
    [{ priority: 'warn' }, 'priority', 'WARN'],
    [{ priority: 'Error' }, 'priority', 'ERROR'],
    [{}, 'priority', ''],
    [{ timestamp: '2016-08-17 13:53:23+00:00' }, 'timestamp', '2016-08-17T13:53:23Z'],
    [{ timestamp: '2012-11-03T17:54:48.000000' }, 'timestamp', '2012-11-03T17:54:48.000000Z'],
    [{ timestamp: null }, 'timestamp', ''],
    [{ metadata: { timestamp: '2016-03-14 00:44:57.126816', message_id: 'meta-id' } }, 'messageId', 'meta-id'],
    [{ message_id: 'top', metadata: { message_id: 'meta' } }, 'messageId', 'top'],
    [{ publisher_id: undefined }, 'publisherId', ''],
  ] as const)('%j -> %s %j', (extra, key, expected) => {
    expect(ok({ ...base, ...extra })[key]).toBe(expected);
  });
});

describe('parseNotification: typed errors', () => {
  const flat = { event_type: 'compute.instance.update', publisher_id: 'compute.h', payload: {} };
  const envelope = (message: unknown, version: unknown = '2.0') => ({
    'oslo.version': version,
    'oslo.message': message,
  });
  const cyclic: Record<string, unknown> = { event_type: 'x', publisher_id: 'p' };
  cyclic.payload = cyclic;
  const throwing = Object.defineProperty({}, 'event_type', {
    enumerable: true,
    get: () => {
      throw new Error('boom');
    },
  });

  it.each([
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), code: 'NOT_JSON', mentions: 'UTF-8' },
    { name: 'truncated JSON', body: Buffer.from('{"event_type": "x"'), code: 'NOT_JSON', mentions: 'JSON' },
    { name: 'empty body', body: Buffer.alloc(0), code: 'NOT_JSON', mentions: 'JSON' },
    { name: 'JSON text that is not JSON', body: 'nope', code: 'NOT_JSON', mentions: 'JSON' },
    { name: 'a JSON array', body: '[1,2]', code: 'NOT_A_NOTIFICATION', mentions: 'array' },
    { name: 'JSON null', body: 'null', code: 'NOT_A_NOTIFICATION', mentions: 'null' },
    {
      name: 'oslo.version 1.0',
      body: envelope(JSON.stringify(flat), '1.0'),
      code: 'BAD_ENVELOPE',
      mentions: 'oslo.version',
    },
    {
      name: 'oslo.version missing',
      body: { 'oslo.message': JSON.stringify(flat) },
      code: 'BAD_ENVELOPE',
      mentions: 'oslo.version',
    },
    {
      name: 'oslo.version as a number',
      body: envelope(JSON.stringify(flat), 2),
      code: 'BAD_ENVELOPE',
      mentions: 'oslo.version',
    },
    { name: 'oslo.message an object', body: envelope(flat), code: 'BAD_ENVELOPE', mentions: 'oslo.message' },
    { name: 'oslo.message missing', body: { 'oslo.version': '2.0' }, code: 'BAD_ENVELOPE', mentions: 'oslo.message' },
    { name: 'oslo.message not JSON', body: envelope('{"event_type":'), code: 'BAD_ENVELOPE', mentions: 'oslo.message' },
    { name: 'oslo.message a JSON array', body: envelope('[]'), code: 'BAD_ENVELOPE', mentions: 'oslo.message' },
    {
      name: 'amqp1 request a string',
      body: { request: JSON.stringify(flat), context: {} },
      code: 'BAD_ENVELOPE',
      mentions: 'request',
    },
    {
      name: 'event_type missing',
      body: { publisher_id: 'p', payload: {} },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'event_type',
    },
    {
      name: 'event_type a number',
      body: { ...flat, event_type: 7 },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'event_type',
    },
    { name: 'event_type empty', body: { ...flat, event_type: '' }, code: 'NOT_A_NOTIFICATION', mentions: 'event_type' },
    {
      name: 'payload missing',
      body: { event_type: 'x', publisher_id: 'p' },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'payload',
    },
    { name: 'payload a list', body: { ...flat, payload: [] }, code: 'NOT_A_NOTIFICATION', mentions: 'payload' },
    { name: 'payload a string', body: { ...flat, payload: '{}' }, code: 'NOT_A_NOTIFICATION', mentions: 'payload' },
    {
      name: 'nova_object.data not an object',
      body: { ...flat, payload: { 'nova_object.data': 'x' } },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'nova_object.data',
    },
    {
      name: 'timestamp unparseable',
      body: { ...flat, timestamp: 'Tuesday' },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'timestamp',
    },
    {
      name: 'timestamp a number',
      body: { ...flat, timestamp: 1458000000 },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'timestamp',
    },
    { name: 'priority a number', body: { ...flat, priority: 20 }, code: 'NOT_A_NOTIFICATION', mentions: 'priority' },
    {
      name: 'publisher_id an object',
      body: { ...flat, publisher_id: {} },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'publisher_id',
    },
    {
      name: 'message_id a number',
      body: { ...flat, message_id: 1 },
      code: 'NOT_A_NOTIFICATION',
      mentions: 'message_id',
    },
    {
      name: 'an enveloped body without payload',
      body: envelope(JSON.stringify({ event_type: 'x' })),
      code: 'NOT_A_NOTIFICATION',
      mentions: 'payload',
    },
    { name: 'a cyclic object', body: cyclic, code: 'NOT_A_NOTIFICATION', mentions: 'JSON' },
    { name: 'an object whose getter throws', body: throwing, code: 'NOT_A_NOTIFICATION', mentions: 'boom' },
    { name: 'undefined', body: undefined, code: 'NOT_A_NOTIFICATION', mentions: 'undefined' },
    { name: 'a number', body: 42, code: 'NOT_A_NOTIFICATION', mentions: 'number' },
  ])('$name -> $code', ({ body, code, mentions }) => {
    const e = errorOf(body);
    expect(e.code).toBe(code);
    expect(e.message).toContain(mentions);
  });
});
