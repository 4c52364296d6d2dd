import { describeAmqpError } from '../../../../src/transport/amqp10/errors.js';

describe('describeAmqpError', () => {
  it.each([
    [undefined, 'fallback'],
    [
      { condition: 'amqp:not-found', description: "NOT_FOUND - no queue 'q'" },
      "amqp:not-found: NOT_FOUND - no queue 'q'",
    ],
    [{ condition: 'amqp:unauthorized-access' }, 'amqp:unauthorized-access'],
    [new Error('connect ECONNREFUSED 127.0.0.1:1'), 'connect ECONNREFUSED 127.0.0.1:1'],
    ['plain text', 'plain text'],
    [{ description: 'cannot reach amqp://relay:Secret1@h:5672/' }, 'cannot reach amqp://relay:***@h:5672/'],
    [new Error('failed for amqps://u:pw9@h1,u:pw9@h2/'), 'failed for amqps://u:***@h1,u:***@h2/'],
    [{}, 'fallback'],
  ])('%p -> %p', (error, expected) => {
    expect(describeAmqpError(error, 'fallback')).toBe(expected);
  });
});
