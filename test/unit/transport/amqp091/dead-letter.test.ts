import type { Message } from 'amqplib';
import { deadLetterProperties, RELAY_HEADERS } from '../../../../src/transport/amqp091/dead-letter.js';

function message(properties: Partial<Message['properties']>): Message {
  return {
    content: Buffer.from('{}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'nova', routingKey: 'notifications.info' },
    properties: properties as Message['properties'],
  };
}

const reason = { code: 'NOT_JSON', message: 'body is not JSON' };
const at = new Date('2026-01-02T03:04:05.678Z');

describe('deadLetterProperties', () => {
  it('keeps oslo properties, makes the copy persistent and mandatory, adds the reason headers', () => {
    const p = deadLetterProperties(
      message({ contentType: 'application/json', contentEncoding: 'utf-8', priority: 0, deliveryMode: 1 }),
      reason,
      'vio-1',
      'id-1',
      at,
    );
    expect(p).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      priority: 0,
      persistent: true,
      mandatory: true,
    });
    expect(p.headers).toEqual({
      [RELAY_HEADERS.reasonCode]: 'NOT_JSON',
      [RELAY_HEADERS.reason]: 'body is not JSON',
      [RELAY_HEADERS.vimId]: 'vio-1',
      [RELAY_HEADERS.routingKey]: 'notifications.info',
      [RELAY_HEADERS.deadLetteredAt]: '2026-01-02T03:04:05.678Z',
      [RELAY_HEADERS.id]: 'id-1',
    });
  });

  it('keeps the original headers but drops CC/BCC, expiration and userId', () => {
    const p = deadLetterProperties(
      message({ headers: { a: 1, CC: ['x'], BCC: ['y'] }, expiration: '1000', userId: 'nova', messageId: 'm1' }),
      reason,
      'v',
      'i',
      at,
    );
    expect(p.headers).toMatchObject({ a: 1 });
    expect(p.headers).not.toHaveProperty('CC');
    expect(p.headers).not.toHaveProperty('BCC');
    expect(p).not.toHaveProperty('expiration');
    expect(p).not.toHaveProperty('userId');
    expect(p.messageId).toBe('m1');
  });

  it('our reason headers win over same-named original ones', () => {
    const p = deadLetterProperties(message({ headers: { [RELAY_HEADERS.reasonCode]: 'OLD' } }), reason, 'v', 'i', at);
    expect(p.headers[RELAY_HEADERS.reasonCode]).toBe('NOT_JSON');
  });
});
