import rhea from 'rhea';
import type { Message } from 'rhea';
import { bodyToBuffer, isRedelivered } from '../../../../src/transport/amqp10/body.js';
import { loadJson, toAmqp1Body, toWireV2 } from '../../../helpers/fixtures.js';

/** What a receiver really sees: encode as a sender would, decode as rhea does on arrival. */
function overTheWire(message: Message): Message {
  return rhea.message.decode(rhea.message.encode(message)) as unknown as Message;
}

const wire = loadJson('oslo-wire/sample-wire-legacy-messagingv2.json') as { body: Record<string, unknown> };
const v2Text = JSON.stringify(wire.body);
const amqp1Text = JSON.stringify(
  toAmqp1Body({ event_type: 'compute.instance.power_off.end', publisher_id: 'compute.h1', payload: { a: 1 } }),
);

describe('bodyToBuffer', () => {
  it.each([
    [
      'a data section (RabbitMQ delivering a 0-9-1 publish)',
      { body: rhea.message.data_section(Buffer.from(v2Text)) },
      v2Text,
    ],
    ['an AMQP value string (oslo amqp1 driver, Python 3)', { body: amqp1Text }, amqp1Text],
    ['an AMQP value string with non-ASCII text', { body: '{"name":"vm-é-☃"}' }, '{"name":"vm-é-☃"}'],
    ['an AMQP value binary', { body: Buffer.from(v2Text) }, v2Text],
    [
      'several data sections',
      { body: rhea.message.data_sections([Buffer.from('{"a":'), Buffer.from('1}')]) },
      '{"a":1}',
    ],
  ])('keeps %s byte for byte', (_what, message, expected) => {
    expect(bodyToBuffer(overTheWire(message as Message).body).toString('utf8')).toBe(expected);
  });

  it('serialises an AMQP value map as JSON', () => {
    const map = { 'oslo.version': '2.0', 'oslo.message': '{"event_type":"x"}', nested: { n: 3, list: [1, 'two'] } };
    const decoded = overTheWire({ body: map }).body;
    expect(JSON.parse(bodyToBuffer(decoded).toString('utf8'))).toEqual(map);
  });

  it('serialises amqp-sequence sections as one JSON array', () => {
    const one = overTheWire({ body: rhea.message.sequence_section([1, 'a', { k: true }]) }).body;
    expect(JSON.parse(bodyToBuffer(one).toString('utf8'))).toEqual([1, 'a', { k: true }]);
    const two = overTheWire({ body: rhea.message.sequence_sections([[1, 2], [3]]) }).body;
    expect(JSON.parse(bodyToBuffer(two).toString('utf8'))).toEqual([1, 2, 3]);
  });

  it('does not mistake a map with typecode/content keys for a section', () => {
    const map = { typecode: 0x75, content: 'not bytes' };
    expect(JSON.parse(bodyToBuffer(overTheWire({ body: map }).body).toString('utf8'))).toEqual(map);
  });

  it.each([
    [undefined, ''],
    [null, 'null'],
    [42, '42'],
    [true, 'true'],
    [BigInt('18446744073709551615'), '"18446744073709551615"'],
  ])('turns the value %p into %p', (value, expected) => {
    expect(bodyToBuffer(value).toString('utf8')).toBe(expected);
  });

  it('gives a fresh empty buffer for an empty data section', () => {
    expect(bodyToBuffer(overTheWire({ body: rhea.message.data_section(Buffer.alloc(0)) }).body)).toHaveLength(0);
  });

  it('round-trips a messagingv2 wire body built by the fixtures helper', () => {
    const body = toWireV2({ event_type: 'compute.instance.create.end', publisher_id: 'compute.h', payload: {} });
    const text = JSON.stringify(body);
    expect(bodyToBuffer(overTheWire({ body: rhea.message.data_section(Buffer.from(text)) }).body).toString()).toBe(
      text,
    );
  });
});

describe('isRedelivered', () => {
  it.each([
    [{}, false],
    [{ first_acquirer: true }, false],
    [{ first_acquirer: false }, true],
    [{ delivery_count: 0 }, false],
    [{ delivery_count: 2 }, true],
    [{ delivery_count: 1, first_acquirer: true }, true],
  ])('%p -> %p', (header, expected) => {
    expect(isRedelivered(overTheWire({ body: 'x', ...header }))).toBe(expected);
  });
});
