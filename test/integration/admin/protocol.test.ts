import { call, startAdmin, VIM, type Harness } from './harness.js';

const TOKEN = 'adm-9f8e7d6c5b4a';

describe('bearer auth (admin.authToken set)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAdmin({ authToken: TOKEN });
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(['/healthz', '/readyz', '/metrics'])('%s stays open', async (path) => {
    expect((await call(h.url, 'GET', path)).status).toBe(200);
  });

  it.each([
    ['GET', '/api/v1/vims'],
    ['PUT', '/api/v1/vims/vio-1'],
    ['GET', '/api/v1/subscriptions'],
    ['POST', '/api/multicloud-vio/v0/vio-1/check_vim_status'],
    ['GET', '/api/openapi.json'],
    ['GET', '/api/v1/no-such-route'],
  ])('%s %s without a token is 401 with WWW-Authenticate', async (method, path) => {
    const a = await call(h.url, method, path, method === 'GET' ? {} : { body: VIM });
    expect(a.status).toBe(401);
    expect(a.headers.get('www-authenticate')).toBe('Bearer realm="vim-event-relay"');
    expect(a.json).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'send Authorization: Bearer <token> (admin.authToken, or admin.readToken to read)',
      },
    });
  });

  it.each([
    ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 5)}` }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
    ['the token without the scheme', { authorization: TOKEN }],
  ])('%s is refused', async (_n, headers) => {
    const a = await call(h.url, 'GET', '/api/v1/vims', { headers });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('a wrong token is told apart from a missing one', async () => {
    const a = await call(h.url, 'GET', '/api/v1/vims', { token: 'nope' });
    expect(a.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(a.json).toMatchObject({
      error: { message: 'the bearer token matches neither admin.authToken nor admin.readToken' },
    });
  });

  it('the right token passes, whatever the case of "Bearer"', async () => {
    expect((await call(h.url, 'GET', '/api/v1/vims', { token: TOKEN })).status).toBe(200);
    expect((await call(h.url, 'GET', '/api/v1/vims', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    expect((await call(h.url, 'GET', '/api/v1/no-such-route', { token: TOKEN })).status).toBe(404);
  });

  it('checks the token before reading a body', async () => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-1', { raw: 'x'.repeat(2 * 1024 * 1024) });
    expect(a.status).toBe(401);
    // The unread rest of the body makes the connection unusable; keeping it would stall close().
    expect(a.headers.get('connection')).toBe('close');
  });
});

describe('without admin.authToken', () => {
  it('the API needs no token', async () => {
    const h = await startAdmin();
    try {
      expect((await call(h.url, 'GET', '/api/v1/vims')).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('protocol errors', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAdmin({ bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('an unknown path is 404 NOT_FOUND', async () => {
    const a = await call(h.url, 'GET', '/api/v2/vims');
    expect(a.status).toBe(404);
    expect(a.json).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route GET /api/v2/vims; GET /api/openapi.json lists the routes' },
    });
  });

  it.each([
    ['POST', '/api/v1/vims', 'GET'],
    ['PATCH', '/api/v1/vims/vio-1', 'DELETE, GET, PUT'],
    ['GET', '/api/multicloud-vio/v0/vio-1/check_vim_status', 'POST'],
    ['POST', '/healthz', 'GET'],
    ['DELETE', '/api/v1/subscriptions', 'GET'],
  ])('%s %s is 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, path, allow) => {
    const a = await call(h.url, method, path);
    expect(a.status).toBe(405);
    expect(a.headers.get('allow')).toBe(allow);
    expect(a.json).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('a body over bodyLimitBytes is 413 PAYLOAD_TOO_LARGE', async () => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: { ...VIM, exchange: 'x'.repeat(5000) } });
    expect(a.status).toBe(413);
    expect(a.headers.get('connection')).toBe('close');
    expect(a.json).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'the request body is larger than 4096 bytes (admin.bodyLimitBytes)',
      },
    });
  });

  it('a body just under the limit is read', async () => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: { ...VIM, exchange: 'x'.repeat(200) } });
    expect(a.status).toBe(201);
  });

  it.each([
    ['text/plain', '{"transportUrl":"rabbit://h/"}'],
    ['application/x-www-form-urlencoded', 'transportUrl=rabbit://h/'],
    ['application/xml', '<vim/>'],
  ])('a %s body is 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, raw) => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-1', { raw, contentType });
    expect(a.status).toBe(415);
    expect(a.json).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('JSON with a charset parameter is accepted', async () => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-2', {
      raw: JSON.stringify(VIM),
      contentType: 'application/json; charset=utf-8',
    });
    expect(a.status).toBe(201);
  });

  it.each([
    ['malformed JSON', '{"transportUrl": "rabbit://u:hunter2@h/"', 'body is not valid JSON; check quoting and commas'],
    ['an empty JSON body', '', 'body is empty but Content-Type is application/json; send a JSON object'],
  ])('%s is 400 VALIDATION_FAILED', async (_n, raw, message) => {
    const a = await call(h.url, 'PUT', '/api/v1/vims/vio-1', { raw });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: { code: 'VALIDATION_FAILED', message } });
  });
});
