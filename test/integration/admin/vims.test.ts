import { call, startAdmin, VIM, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startAdmin();
});
afterEach(async () => {
  await h.close();
});

const put = (id: string, body: unknown) => call(h.url, 'PUT', `/api/v1/vims/${id}`, { body });

describe('/api/v1/vims', () => {
  it('starts empty', async () => {
    const a = await call(h.url, 'GET', '/api/v1/vims');
    expect(a.status).toBe(200);
    expect(a.json).toEqual([]);
  });

  it('answers the list from one frozen copy per store state: the same until a change, a new one after it, never a password', async () => {
    await put('vio-1', VIM);
    const first = h.control.listVims();
    expect(Object.isFrozen(first)).toBe(true);
    expect(h.control.listVims()).toBe(first);
    const before = await call(h.url, 'GET', '/api/v1/vims');
    const again = await call(h.url, 'GET', '/api/v1/vims');
    expect(again.json).toEqual(before.json);
    expect(JSON.stringify(again.json)).not.toMatch(/nova:[^*]/);
    await put('vio-2', VIM);
    expect(h.control.listVims()).not.toBe(first);
    expect(((await call(h.url, 'GET', '/api/v1/vims')).json as { id: string }[]).map((v) => v.id)).toEqual([
      'vio-1',
      'vio-2',
    ]);
  });

  it('creates with 201 and a Location, replaces with 200, and answers defaults applied, password redacted', async () => {
    const created = await put('vio-1', VIM);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/vims/vio-1');
    expect(created.json).toEqual({
      id: 'vio-1',
      transportUrl: 'rabbit://nova:***@10.0.0.5:5672,nova:***@10.0.0.6:5672/nova',
      exchange: 'nova',
      exchangeDurable: false,
      topics: ['notifications', 'versioned_notifications'],
      priorities: ['info', 'error'],
      queue: 'vim-event-relay.vio-1',
      deadLetterQueue: 'vim-event-relay.vio-1.dead',
      queueType: 'quorum',
      deliveryLimit: 20,
      singleActiveConsumer: false,
      maxLength: 0,
      addresses: [],
    });
    const replaced = await put('vio-1', { ...VIM, exchange: 'nova2', topics: ['versioned_notifications'] });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('location')).toBeNull();
    expect(replaced.json).toMatchObject({ exchange: 'nova2', topics: ['versioned_notifications'] });
    const list = await call(h.url, 'GET', '/api/v1/vims');
    expect((list.json as { id: string }[]).map((v) => v.id)).toEqual(['vio-1']);
  });

  it('stores the body as given (defaults not written in) and starts its listener with the defaults applied', async () => {
    await put('vio-1', { ...VIM, id: 'vio-1', exchangeDurable: true });
    expect(h.store.get().vims).toEqual([{ id: 'vio-1', ...VIM, exchangeDurable: true }]);
    expect(h.listeners).toHaveLength(1);
    expect(h.listener('vio-1').calls).toEqual(['start']);
    expect(h.listener('vio-1').vim).toMatchObject({
      id: 'vio-1',
      transportUrl: VIM.transportUrl,
      exchange: 'nova',
      exchangeDurable: true,
      queue: 'vim-event-relay.vio-1',
    });
  });

  it('restarts the listener only when the VIM changed, and stops it on DELETE', async () => {
    await put('vio-1', VIM);
    expect((await put('vio-1', { ...VIM, exchange: 'nova' })).status).toBe(200); // the default, spelt out
    expect(h.listeners).toHaveLength(1);
    expect((await put('vio-1', { ...VIM, queue: 'q-new' })).status).toBe(200);
    expect(h.listeners).toHaveLength(2);
    expect(h.listeners[0].calls).toEqual(['start', 'stopConsuming', 'close']);
    expect(h.listener('vio-1').vim.queue).toBe('q-new');
    expect((await call(h.url, 'DELETE', '/api/v1/vims/vio-1')).status).toBe(204);
    expect(h.listeners[1].calls).toEqual(['start', 'stopConsuming', 'close']);
    expect(h.catalogue.running.size).toBe(0);
  });

  it('GET one answers the VIM with its listener status', async () => {
    await put('vio-1', VIM);
    const pending = await call(h.url, 'GET', '/api/v1/vims/vio-1');
    expect(pending.status).toBe(200);
    expect(pending.json).toMatchObject({ id: 'vio-1', status: 'PENDING', statusSince: '1970-01-01T00:00:00.000Z' });
    expect(pending.json).not.toHaveProperty('statusReason');
    const since = new Date('2024-05-01T10:00:00Z');
    h.listener('vio-1').report({ status: 'UNREACHABLE', since, reason: 'connect ECONNREFUSED 10.0.0.5:5672' });
    const down = await call(h.url, 'GET', '/api/v1/vims/vio-1');
    expect(down.json).toMatchObject({
      status: 'UNREACHABLE',
      statusSince: since.toISOString(),
      statusReason: 'connect ECONNREFUSED 10.0.0.5:5672',
    });
    h.listener('vio-1').report({ status: 'REACHABLE', since: new Date('2024-05-01T10:01:00Z') });
    const up = await call(h.url, 'GET', '/api/v1/vims/vio-1');
    expect(up.json).toMatchObject({ status: 'REACHABLE', statusSince: '2024-05-01T10:01:00.000Z' });
    expect(up.json).not.toHaveProperty('statusReason');
  });

  it('DELETE answers 204, then 404; the VIM and its subscriptions are gone', async () => {
    await put('vio-1', VIM);
    await call(h.url, 'PUT', '/api/v1/subscriptions/s1', { body: { vimId: 'vio-1', states: ['CREATE'], topic: 'T' } });
    const del = await call(h.url, 'DELETE', '/api/v1/vims/vio-1');
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await call(h.url, 'GET', '/api/v1/vims/vio-1')).status).toBe(404);
    expect((await call(h.url, 'GET', '/api/v1/subscriptions')).json).toEqual([]);
    const again = await call(h.url, 'DELETE', '/api/v1/vims/vio-1');
    expect(again.status).toBe(404);
    expect(again.json).toEqual({
      error: { code: 'NOT_FOUND', message: 'VIM "vio-1" is not registered; GET /api/v1/vims lists those that are' },
    });
  });

  it('DELETE with a JSON Content-Type and no body is fine', async () => {
    await put('vio-1', VIM);
    const del = await call(h.url, 'DELETE', '/api/v1/vims/vio-1', { raw: '', contentType: 'application/json' });
    expect(del.status).toBe(204);
  });

  it('GET of an unknown VIM is 404 NOT_FOUND', async () => {
    const a = await call(h.url, 'GET', '/api/v1/vims/nope');
    expect(a.status).toBe(404);
    expect(a.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  const invalid: [string, string, unknown, string][] = [
    ['a number transportUrl', 'vio-1', { transportUrl: 42 }, 'body.transportUrl must be a string (got 42)'],
    ['no transportUrl', 'vio-1', { exchange: 'nova' }, 'body.transportUrl is required'],
    ['an unknown key', 'vio-1', { ...VIM, prefetch: 10 }, 'body.prefetch is not a known property'],
    ['an empty topics list', 'vio-1', { ...VIM, topics: [] }, 'body.topics must NOT have fewer than 1 items'],
    [
      'a boolean as string',
      'vio-1',
      { ...VIM, exchangeDurable: 'yes' },
      'body.exchangeDurable must be a boolean (got "yes")',
    ],
    ['an unsupported scheme', 'vio-1', { transportUrl: 'http://h/' }, 'body.transportUrl "http://h/" does not match'],
    ['an array body', 'vio-1', [VIM], 'body must be an object'],
    [
      'a vimId with a space',
      'bad%20id',
      VIM,
      'params.vimId "bad id" does not match: 1 to 64 letters, digits, "_" or "-"',
    ],
    ['a vimId of 65 characters', 'a'.repeat(65), VIM, 'params.vimId'],
    [
      'a body id that differs from the path',
      'vio-1',
      { ...VIM, id: 'vio-2' },
      'body.id "vio-2" differs from the vimId "vio-1" in the path',
    ],
    [
      'a transportUrl the daemon cannot parse',
      'vio-1',
      { transportUrl: 'rabbit://u:p@h:99999/' },
      'port "99999" of host h is not a number',
    ],
  ];
  it.each(invalid)('refuses %s with 400 VALIDATION_FAILED naming the field', async (_n, id, body, message) => {
    const a = await put(id, body);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining(message) } });
    expect((await call(h.url, 'GET', '/api/v1/vims')).json).toEqual([]);
    expect(h.store.get().vims).toEqual([]);
    expect(h.listeners).toHaveLength(0);
  });
});
