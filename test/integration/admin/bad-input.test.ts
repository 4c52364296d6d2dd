/** Bad input gets a 400 that says what is wrong: hosts, priorities, list bounds, nesting, prototype keys. */
import { call, startAdmin, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startAdmin();
});
afterAll(async () => {
  await h.close();
});

const URL = 'rabbit://guest:guest@127.0.0.1:5672/';
const topics = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

it.each([
  [
    'a host of colons',
    { transportUrl: 'rabbit://user:pw@@@:::/' },
    'host ":::" is not a host name; an IPv6 address goes in brackets',
  ],
  [
    'a host with a stray character',
    { transportUrl: 'rabbit://u:p@h!x:5672/' },
    'host "h!x" is not a host name or address',
  ],
  ['an empty port', { transportUrl: 'rabbit://u:p@h:/' }, 'host h has a ":" but no port'],
  [
    'a priority oslo does not have',
    { transportUrl: URL, priorities: ['loud'] },
    'body.priorities[0] "loud" must be one of audit, debug, info, warn, warning, error, critical, sample',
  ],
  ['50,000 topics', { transportUrl: URL, topics: topics(50_000) }, 'body.topics must NOT have more than 64 items'],
  ['65 topics', { transportUrl: URL, topics: topics(65) }, 'body.topics must NOT have more than 64 items'],
  ['a topic twice', { transportUrl: URL, topics: ['a', 'a'] }, 'body.topics must NOT have duplicate items'],
  [
    '9 priorities',
    {
      transportUrl: URL,
      priorities: ['info', 'info', 'error', 'warn', 'audit', 'debug', 'sample', 'critical', 'warning'],
    },
    'body.priorities must NOT have more than 8 items',
  ],
  [
    '65 addresses',
    { transportUrl: 'amqp://h/', addresses: topics(65) },
    'body.addresses must NOT have more than 64 items',
  ],
])('PUT a VIM with %s: 400 naming it', async (_name, body, message) => {
  const a = await call(h.url, 'PUT', '/api/v1/vims/v1', { body });
  expect(a.status).toBe(400);
  expect(a.json).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining(message) } });
});

it('takes 64 topics and every oslo priority', async () => {
  const a = await call(h.url, 'PUT', '/api/v1/vims/v1', {
    body: {
      transportUrl: URL,
      topics: topics(64),
      priorities: ['audit', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'sample'],
    },
  });
  expect(a.status).toBe(201);
});

it.each([
  ['arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ['objects', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
])('a body of %s nested 100,000 deep: 400 saying so, not a 500', async (_name, raw) => {
  const a = await call(h.url, 'PUT', '/api/v1/vims/v1', { raw });
  expect(a.status).toBe(400);
  expect(a.json).toMatchObject({
    error: {
      code: 'VALIDATION_FAILED',
      message: 'body nests arrays and objects more than 32 levels deep; no request needs more than 3',
    },
  });
  expect(h.logLines().join('\n')).not.toContain('Maximum call stack');
});

it.each([
  ['{"transportUrl": "rabbit://h/", "__proto__": {"admin": true}}', 'body.__proto__'],
  [
    '{"transportUrl": "rabbit://h/", "topics": [{"constructor": {"prototype": {}}}]}',
    'body.topics[0].constructor.prototype',
  ],
])('a prototype key: 400 naming it, not "not valid JSON" (%s)', async (raw, at) => {
  const a = await call(h.url, 'PUT', '/api/v1/vims/v1', { raw });
  expect(a.status).toBe(400);
  expect(a.json).toMatchObject({
    error: {
      code: 'VALIDATION_FAILED',
      message: `${at}: a key that could change an object's prototype is refused (prototype poisoning); remove it`,
    },
  });
});

it('still calls broken JSON broken, and an empty body empty', async () => {
  expect((await call(h.url, 'PUT', '/api/v1/vims/v1', { raw: '{"transportUrl": ' })).json).toMatchObject({
    error: { message: 'body is not valid JSON; check quoting and commas' },
  });
  expect((await call(h.url, 'PUT', '/api/v1/vims/v1', { raw: '' })).json).toMatchObject({
    error: { message: expect.stringContaining('body is empty') },
  });
});
