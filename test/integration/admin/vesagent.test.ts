/** MultiCloud's VES agent API, under both prefixes, over real HTTP to the daemon's ControlPlane. */
import { call, startAdmin, VIM, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startAdmin();
  expect((await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM })).status).toBe(201);
});
afterEach(async () => {
  await h.close();
});

const CONFIG = {
  vesagent_config: {
    ves_subscription: {
      endpoint: 'http://127.0.0.1:8443/eventListener/v7',
      username: 'ves-user',
      password: 'ves-s3cret',
    },
    poll_interval_default: 10,
    backlogs: [{ domain: 'fault', type: 'vm', tenant: '6f70656e737461636b20342065766572', source: 'some-server' }],
  },
};

describe.each(['/api/multicloud-vio/v0', '/api/multicloud-fcaps/v0'])('%s/{vimId}/vesagent', (prefix) => {
  const path = (vim = 'vio-1') => `${prefix}/${vim}/vesagent`;

  it('POST 201 answers vesagent_config and vesagent_backlogs (each backlog with a backlog_uuid), password redacted; GET answers the same', async () => {
    const a = await call(h.url, 'POST', path(), { body: CONFIG });
    expect(a.status).toBe(201);
    const sub = { endpoint: CONFIG.vesagent_config.ves_subscription.endpoint, username: 'ves-user', password: '***' };
    expect(a.json).toEqual({
      vesagent_config: { ...CONFIG.vesagent_config, ves_subscription: sub },
      vesagent_backlogs: {
        vimid: 'vio-1',
        poll_interval_default: 10,
        subscription: sub,
        backlogs: [
          { ...CONFIG.vesagent_config.backlogs[0], backlog_uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-/) },
        ],
      },
    });
    expect(a.text).not.toContain('ves-s3cret');
    const g = await call(h.url, 'GET', path());
    expect(g.status).toBe(200);
    expect(g.json).toEqual(a.json);
    // The daemon gets the password: it is the collector's credential.
    expect(h.store.get().vesAgents['vio-1']).toEqual({
      ves_subscription: CONFIG.vesagent_config.ves_subscription,
      poll_interval_default: 10,
      backlogs: (a.json as any).vesagent_backlogs.backlogs,
      updatedAt: expect.any(String),
    });
    expect(h.logLines().join('\n')).not.toContain('ves-s3cret');
  });

  it('a POST again replaces it, live, keeping the uuid of an unchanged backlog', async () => {
    const first = (await call(h.url, 'POST', path(), { body: CONFIG })).json as any;
    const more = {
      vesagent_config: {
        ...CONFIG.vesagent_config,
        backlogs: [...CONFIG.vesagent_config.backlogs, { domain: 'fault', type: 'vm' }],
      },
    };
    const second = (await call(h.url, 'POST', path(), { body: more })).json as any;
    expect(second.vesagent_backlogs.backlogs).toHaveLength(2);
    expect(second.vesagent_backlogs.backlogs[0].backlog_uuid).toBe(first.vesagent_backlogs.backlogs[0].backlog_uuid);
  });

  it('GET 404 for a VIM without a configuration, and for an unknown VIM, saying which', async () => {
    const none = await call(h.url, 'GET', path());
    expect(none.status).toBe(404);
    expect(none.json).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: `VIM "vio-1" has no VES agent configuration; POST one to ${prefix}/vio-1/vesagent`,
      },
    });
    const unknown = await call(h.url, 'GET', path('vio-9'));
    expect(unknown.status).toBe(404);
    expect((unknown.json as any).error.message).toMatch(/VIM "vio-9" is not registered/);
  });

  it('POST 404 for an unknown VIM', async () => {
    const a = await call(h.url, 'POST', path('vio-9'), { body: CONFIG });
    expect(a.status).toBe(404);
    expect((a.json as any).error.message).toMatch(/VIM "vio-9" is not registered; PUT \/api\/v1\/vims\/vio-9 first/);
  });

  it.each<[string, unknown, RegExp]>([
    ['no vesagent_config', {}, /body\.vesagent_config is required/],
    [
      'no ves_subscription',
      { vesagent_config: { backlogs: [] } },
      /body\.vesagent_config\.ves_subscription is required/,
    ],
    [
      'an endpoint that is not http(s)',
      { vesagent_config: { ...CONFIG.vesagent_config, ves_subscription: { endpoint: 'ftp://x' } } },
      /body\.vesagent_config\.ves_subscription\.endpoint "ftp:\/\/x" does not match/,
    ],
    [
      'credentials in the endpoint',
      { vesagent_config: { ...CONFIG.vesagent_config, ves_subscription: { endpoint: 'http://u:secretpw@h/' } } },
      /body\.vesagent_config\.ves_subscription\.endpoint "http:\/\/u:\*\*\*@h\/" does not match/,
    ],
    [
      'a pm backlog',
      { vesagent_config: { ...CONFIG.vesagent_config, backlogs: [{ domain: 'pm', type: 'vm' }] } },
      /body\.vesagent_config\.backlogs\[0\]\.domain "pm" must be one of fault/,
    ],
    [
      'a backlog without type',
      { vesagent_config: { ...CONFIG.vesagent_config, backlogs: [{ domain: 'fault' }] } },
      /body\.vesagent_config\.backlogs\[0\]\.type is required/,
    ],
    [
      'an unknown backlog field',
      { vesagent_config: { ...CONFIG.vesagent_config, backlogs: [{ domain: 'fault', type: 'vm', colour: 'red' }] } },
      /body\.vesagent_config\.backlogs\[0\]\.colour is not a known property/,
    ],
  ])('POST 400 for %s, naming the field', async (_name, body, message) => {
    const a = await call(h.url, 'POST', path(), { body });
    expect(a.status).toBe(400);
    expect((a.json as any).error.code).toBe('VALIDATION_FAILED');
    expect((a.json as any).error.message).toMatch(message);
    expect(a.text).not.toContain('secretpw');
  });

  it('DELETE 200 removes it (and its alarms); again 200, as MultiCloud; 404 for an unknown VIM', async () => {
    await call(h.url, 'POST', path(), { body: CONFIG });
    const d = await call(h.url, 'DELETE', path());
    expect(d.status).toBe(200);
    expect((await call(h.url, 'GET', path())).status).toBe(404);
    expect((await call(h.url, 'DELETE', path())).status).toBe(200);
    expect((await call(h.url, 'DELETE', path('vio-9'))).status).toBe(404);
  });

  it('removing the VIM removes its VES agent configuration', async () => {
    await call(h.url, 'POST', path(), { body: CONFIG });
    await call(h.url, 'DELETE', '/api/v1/vims/vio-1');
    expect(h.store.get().vesAgents).toEqual({});
  });
});

it('both prefixes read and write the same configuration', async () => {
  await call(h.url, 'POST', '/api/multicloud-vio/v0/vio-1/vesagent', { body: CONFIG });
  const a = await call(h.url, 'GET', '/api/multicloud-fcaps/v0/vio-1/vesagent');
  expect(a.status).toBe(200);
});

it('PUT is not allowed: 405 with Allow', async () => {
  const a = await call(h.url, 'PUT', '/api/multicloud-vio/v0/vio-1/vesagent', { body: CONFIG });
  expect(a.status).toBe(405);
  expect(a.headers.get('allow')).toBe('DELETE, GET, POST');
});
