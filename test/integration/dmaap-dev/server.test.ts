import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';

let dev: DmaapDevServer;
let url: string;

beforeEach(async () => {
  dev = createDmaapDevServer({ retainPerTopic: 1000, maxBodyBytes: 64 * 1024 });
  ({ url } = await dev.listen());
});
afterEach(() => dev.close());

async function post(path: string, body: string | Buffer, contentType?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url + path, {
    method: 'POST',
    body,
    headers: contentType ? { 'Content-Type': contentType } : {},
  });
  return { status: res.status, json: await res.json() };
}

async function get(path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url + path);
  return { status: res.status, json: await res.json() };
}

const mrErrorShape = (status: number) => ({
  status,
  mrErrorCode: expect.any(Number),
  errorMessage: expect.any(String),
  helpURL: expect.any(String),
  statusTs: expect.any(String),
});

describe('POST /events/{topic}', () => {
  it("stores one message for an object and answers MR's count", async () => {
    const r = await post('/events/T1', '{"a": 1, "b": "x"}', 'application/json');
    expect(r).toEqual({ status: 200, json: { count: 1, serverTimeMs: expect.any(Number) } });
    expect(dev.messages('T1')).toEqual(['{"a":1,"b":"x"}']);
  });

  it('stores one message per element of an array', async () => {
    const r = await post('/events/T1', '[{"n":1},{"n":2},{"n":3}]', 'application/json');
    expect(r.json.count).toBe(3);
    expect(dev.messages('T1')).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it.each(['application/json; charset=UTF-8', 'application/json;charset=utf-8', 'application/json; CHARSET=Utf-8'])(
    'strips "%s" down to application/json',
    async (type) => {
      expect((await post('/events/T1', '[{"n":1}]', type)).status).toBe(200);
      expect(dev.messages('T1')).toEqual(['{"n":1}']);
    },
  );

  it.each([
    ['bad JSON', '[{"n":1},', 'application/json'],
    ['a JSON number', '42', 'application/json'],
    ['an array holding a non-object', '[{"n":1}, 2]', 'application/json'],
    ['another charset', '[{"n":1}]', 'application/json; charset=utf-16'],
    ['a JSON-like type that is not application/json', '{"records":[]}', 'application/vnd.kafka.json.v2+json'],
  ])("answers 400 with MR's error body for %s", async (_name, body, type) => {
    const r = await post('/events/T1', body, type);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(mrErrorShape(400));
    expect(dev.messages('T1')).toEqual([]);
  });

  it('splits text/plain into a message per line', async () => {
    const r = await post('/events/T1', 'first line\nsecond line\r\nthird\n', 'text/plain');
    expect(r.json.count).toBe(3);
    expect(dev.messages('T1')).toEqual(['first line', 'second line', 'third']);
  });

  it('reads application/cambria records, lengths in bytes', async () => {
    const body = Buffer.from('3.5.keyhello\n0.8.{"é":1}2.2.k2hi', 'utf8');
    const r = await post('/events/T1', body, 'application/cambria');
    expect(r.json.count).toBe(3);
    expect(dev.messages('T1')).toEqual(['hello', '{"é":1}', 'hi']);
  });

  it('answers 400 for a malformed cambria record', async () => {
    expect((await post('/events/T1', '3x5.keyhello', 'application/cambria')).status).toBe(400);
    expect((await post('/events/T1', '3.50.keyhello', 'application/cambria')).status).toBe(400);
  });

  it('stores any other body as one message', async () => {
    await post('/events/T1', 'raw [not json', 'application/octet-stream');
    expect(dev.messages('T1')).toEqual(['raw [not json']);
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await post(
      '/events/T1',
      `[${Array(5000).fill('{"padding":"xxxxxxxxxx"}').join(',')}]`,
      'application/json',
    );
    expect(r.status).toBe(413);
    expect(r.json).toEqual(mrErrorShape(413));
  });

  it('drops the oldest messages beyond retainPerTopic', async () => {
    const small = createDmaapDevServer({ retainPerTopic: 3 });
    const { url: u } = await small.listen();
    try {
      for (let i = 1; i <= 5; i++)
        await fetch(`${u}/events/R`, {
          method: 'POST',
          body: `{"i":${i}}`,
          headers: { 'Content-Type': 'application/json' },
        });
      expect(small.messages('R')).toEqual(['{"i":3}', '{"i":4}', '{"i":5}']);
      const res = await fetch(`${u}/events/R/g/c?timeout=0`);
      expect(await res.json()).toEqual(['{"i":3}', '{"i":4}', '{"i":5}']);
    } finally {
      await small.close();
    }
  });
});

describe('GET /events/{topic}/{group}/{id}', () => {
  beforeEach(async () => {
    await post('/events/C', '[{"n":1},{"n":2},{"n":3}]', 'application/json');
  });

  it('gives each consumer group each message once', async () => {
    expect((await get('/events/C/g1/c1?timeout=0')).json).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect((await get('/events/C/g2/c1?timeout=0')).json).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect((await get('/events/C/g1/c2?timeout=0')).json).toEqual([]);
    await post('/events/C', '{"n":4}', 'application/json');
    expect((await get('/events/C/g1/c1?timeout=0')).json).toEqual(['{"n":4}']);
    expect((await get('/events/C/g2/c1?timeout=0')).json).toEqual(['{"n":4}']);
  });

  it('honours limit, 0 meaning the default', async () => {
    expect((await get('/events/C/g/c?timeout=0&limit=2')).json).toEqual(['{"n":1}', '{"n":2}']);
    expect((await get('/events/C/g/c?timeout=0&limit=0')).json).toEqual(['{"n":3}']);
  });

  it('answers offsets with meta=true', async () => {
    expect((await get('/events/C/g/c?timeout=0&limit=2&meta=true')).json).toEqual([
      { offset: 0, message: '{"n":1}' },
      { offset: 1, message: '{"n":2}' },
    ]);
  });

  it('answers [] when nothing arrives before the timeout', async () => {
    await get('/events/C/g/c?timeout=0');
    const r = await get('/events/C/g/c?timeout=100');
    expect(r).toEqual({ status: 200, json: [] });
  });

  it('wakes a long poll as soon as a message is published', async () => {
    await get('/events/C/g/c?timeout=0');
    const poll = get('/events/C/g/c?timeout=25000');
    await new Promise((r) => setTimeout(r, 50));
    await post('/events/C', '{"n":"late"}', 'application/json');
    expect((await poll).json).toEqual(['{"n":"late"}']);
  });

  it('ends pending long polls with [] on close', async () => {
    await get('/events/C/g/c?timeout=0');
    const poll = get('/events/C/g/c?timeout=60000');
    await new Promise((r) => setTimeout(r, 50));
    await dev.close();
    expect((await poll).json).toEqual([]);
  });

  it('answers 404 (3001) for an unknown topic', async () => {
    const r = await get('/events/NOPE/g/c?timeout=0');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ ...mrErrorShape(404), mrErrorCode: 3001 });
  });
});

describe('topics', () => {
  it('lists topics created by publishing and by /topics/create', async () => {
    await post('/events/PUB', '{"n":1}', 'application/json');
    const created = await post(
      '/topics/create',
      JSON.stringify({
        topicName: 'MADE',
        topicDescription: 'd',
        partitionCount: 1,
        replicationCount: 1,
        transactionEnabled: false,
      }),
      'application/json',
    );
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: 'MADE', description: 'd' });
    expect((await get('/topics')).json).toEqual({ topics: ['PUB', 'MADE'] });
  });

  it('creates idempotently, keeping messages', async () => {
    await post('/events/MADE', '{"n":1}', 'application/json');
    expect((await post('/topics/create', '{"topicName":"MADE"}', 'application/json')).status).toBe(200);
    expect((await post('/topics/create', '{"topicName":"MADE"}', 'application/json')).status).toBe(200);
    expect(dev.messages('MADE')).toEqual(['{"n":1}']);
    expect((await get('/topics')).json.topics).toEqual(['MADE']);
  });

  it('makes a created topic consumable at once', async () => {
    await post('/topics/create', '{"topicName":"EMPTY"}', 'application/json');
    expect(await get('/events/EMPTY/g/c?timeout=0')).toEqual({ status: 200, json: [] });
  });

  it("answers a topic's details, 404 when unknown", async () => {
    await post('/topics/create', '{"topicName":"MADE"}', 'application/json');
    expect((await get('/topics/MADE')).json).toMatchObject({ name: 'MADE' });
    expect((await get('/topics/NOPE')).status).toBe(404);
  });

  it.each(['{}', '{"topicName":"bad name!"}', 'not json'])('refuses to create from %s', async (body) => {
    const r = await post('/topics/create', body, 'application/json');
    expect(r.status).toBe(400);
    expect(r.json).toEqual(mrErrorShape(400));
  });
});

describe('routing', () => {
  it('answers 404 JSON for an unknown route', async () => {
    const r = await get('/nowhere');
    expect(r.status).toBe(404);
    expect(r.json).toEqual(mrErrorShape(404));
  });

  it('answers 405 for a known route with the wrong method', async () => {
    const r = await get('/events/T1');
    expect(r.status).toBe(405);
    expect(r.json).toMatchObject({ mrErrorCode: 3003 });
  });
});
