import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/util/logger.js';
import { redactDeep, redactText } from '../../../src/util/redact.js';

function capture(format: 'json' | 'pretty', secrets: string[] = []) {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString()));
  return { log: createLogger({ level: 'debug', format, secrets, stream }), text: () => out };
}

describe('logger', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', async () => {
    const { log, text } = capture('json');
    log.child({ vim: 'vio-1' }).info('consuming', { queue: 'q' });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'consuming', vim: 'vio-1', queue: 'q' });
    expect(typeof line.timestamp).toBe('string');
  });

  it.each(['json', 'pretty'] as const)('never writes a password or a configured secret (%s)', async (format) => {
    const { log, text } = capture(format, ['tok-abcdef']);
    log.warn('connect to rabbit://nova:s3cr3t@h1:5672,nova:0th3r@h2:5672/ failed', {
      url: 'amqps://u:p%40ss@host/',
      nested: { password: 'plain-pw', list: ['rabbit://a:b@c/'] },
      error: new Error('auth tok-abcdef refused'),
    });
    await new Promise((r) => setImmediate(r));
    const out = text();
    for (const s of ['s3cr3t', '0th3r', 'p%40ss', 'plain-pw', 'tok-abcdef', ':b@']) expect(out).not.toContain(s);
    expect(out).toContain('nova:***@h1');
  });
});

describe('redaction', () => {
  it.each([
    ['rabbit://guest:guest@127.0.0.1:5672/', 'rabbit://guest:***@127.0.0.1:5672/'],
    ['rabbit://u:p@ss@h:5672/v', 'rabbit://u:***@h:5672/v'],
    ['x rabbit://a:1@h1,b:2@h2/ y', 'x rabbit://a:***@h1,b:***@h2/ y'],
    ['http://127.0.0.1:3904/events/T', 'http://127.0.0.1:3904/events/T'],
    [
      'amqps://u:p@h/?ssl_key_file=/k.pem&ssl_key_password=kp-s3cret',
      'amqps://u:***@h/?ssl_key_file=/k.pem&ssl_key_password=***',
    ],
    ['rabbit://h/?ssl_key_password=kp-s3cret&ssl=1', 'rabbit://h/?ssl_key_password=***&ssl=1'],
    ['"rabbit://h/?password=x%20y&token=abc"', '"rabbit://h/?password=***&token=***"'],
    ['rabbit://h/?heartbeat_timeout_threshold=30&ssl=1', 'rabbit://h/?heartbeat_timeout_threshold=30&ssl=1'],
    ['a=b, passes=3', 'a=b, passes=3'],
    [
      'x.ScramLoginModule required username="u" password="p w\\"=;";',
      'x.ScramLoginModule required username="u" password="***";',
    ],
    [
      '{"jaas":"x.ScramLoginModule required username=\\"u\\" password=\\"s3cr3t\\";"}',
      '{"jaas":"x.ScramLoginModule required username=\\"u\\" password=\\"***\\";"}',
    ],
    [
      'PlainLoginModule required username=u password=bare-s3cret;',
      'PlainLoginModule required username=u password=***;',
    ],
    ['rabbit://h/?password=x&ssl=1', 'rabbit://h/?password=***&ssl=1'],
  ])('redactText(%s)', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ['token the-admin-token-1 quoted, no URL', 'token *** quoted, no URL'],
    ['the-admin-token-1 twice: the-admin-token-1', '*** twice: ***'],
    ['amqp://u:the-admin-token-1@h/', 'amqp://u:***@h/'],
    ['mail ops@example.org about it', 'mail ops@example.org about it'],
    ['nothing secret here', 'nothing secret here'],
  ])('redactText(%s) with a configured secret', (input, expected) => {
    expect(redactText(input, ['the-admin-token-1'])).toBe(expected);
  });

  it('masks secret-named keys at any depth and leaves others', () => {
    expect(redactDeep({ a: { password: 'x', authToken: 't', user: 'u' }, b: [{ secret: 's' }] })).toEqual({
      a: { password: '***', authToken: '***', user: 'u' },
      b: [{ secret: '***' }],
    });
    expect(
      redactDeep({
        kafka: { sasl: { jaasConfig: 'x.ScramLoginModule required username="u" password="p";', username: 'u' } },
      }),
    ).toEqual({
      kafka: { sasl: { jaasConfig: '***', username: 'u' } },
    });
  });
});
