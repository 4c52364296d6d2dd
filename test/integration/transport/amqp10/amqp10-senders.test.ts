/**
 * Notifications sent over AMQP 1.0 itself (as oslo's amqp1 driver and other 1.0 clients do)
 * into the relay's queue on RabbitMQ 3.x: every body form reaches the pipeline as JSON text.
 */
import rhea from 'rhea';
import type { Message } from 'rhea';
import { waitFor } from '../../../helpers/wait.js';
import { toAmqp1Body } from '../../../helpers/fixtures.js';
import { Harness, collect, rawConnection, sendOver10 } from './support.js';

const h = new Harness();
afterEach(() => h.dispose());

const sample = {
  event_type: 'compute.instance.power_off.end',
  publisher_id: 'compute.host1',
  payload: { instance_id: 'i-1', state: 'stopped' },
  message_id: 'm-1',
  timestamp: '2026-11-22 00:30:05.336446',
};
const amqp1Text = JSON.stringify(toAmqp1Body(sample));
const map = { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(sample) };

describe('bodies sent over AMQP 1.0', () => {
  it.each<[string, Message, (body: Buffer) => void]>([
    [
      "the amqp1 driver's {request, context} as an AMQP value string",
      { body: amqp1Text },
      (b) => expect(b.toString('utf8')).toBe(amqp1Text),
    ],
    ['an AMQP value map', { body: map }, (b) => expect(JSON.parse(b.toString('utf8'))).toEqual(map)],
    [
      'one data section',
      { body: rhea.message.data_section(Buffer.from(amqp1Text)), content_type: 'application/json' },
      (b) => expect(b.toString('utf8')).toBe(amqp1Text),
    ],
    [
      'an amqp-sequence',
      { body: rhea.message.sequence_section([map]) },
      (b) => expect(JSON.parse(b.toString('utf8'))).toEqual([map]),
    ],
  ])('%s arrives as JSON text', async (_what, message, check) => {
    const { vim } = await h.topology();
    const got = await collect(h.listener(vim));
    const conn = await rawConnection();
    try {
      expect(await sendOver10(conn, `/amq/queue/${vim.queue}`, message)).toBe('accepted');
    } finally {
      conn.close();
    }
    await waitFor(() => got.length === 1, 'the delivery');
    check(got[0].body);
    expect(got[0].source).toBe(`/amq/queue/${vim.queue}`);
    expect(got[0].redelivered).toBe(false);
    got[0].ack();
  });
});
