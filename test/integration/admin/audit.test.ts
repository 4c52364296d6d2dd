/** One info line per admin change: what, old and new (secrets redacted), the client's address. */
import { call, startAdmin, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startAdmin();
});
afterAll(() => h.close());

interface AuditLine {
  level: string;
  message: string;
  what: string;
  old: unknown;
  new: unknown;
  client: string;
}
const audits = (): AuditLine[] =>
  h
    .logLines()
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((l) => l.message === 'admin change');

const URL1 = 'rabbit://relay:vim-s3cret@127.0.0.1:5672/';
const URL2 = 'rabbit://relay:vim-s3cret@127.0.0.2:5672/';

it('logs a VIM created, replaced and deleted, a subscription and a VES configuration, and no refused change', async () => {
  expect((await call(h.url, 'PUT', '/api/v1/vims/audit-1', { body: { transportUrl: URL1 } })).status).toBe(201);
  expect((await call(h.url, 'PUT', '/api/v1/vims/audit-1', { body: { transportUrl: URL2 } })).status).toBe(200);
  expect(
    (
      await call(h.url, 'PUT', '/api/v1/subscriptions/s1', {
        body: { vimId: 'audit-1', states: ['error'], topic: 'T' },
      })
    ).status,
  ).toBe(201);
  const ves = {
    ves_subscription: { endpoint: 'http://127.0.0.1:9/eventListener/v7', username: 'u', password: 'ves-s3cret' },
    poll_interval_default: 10,
    backlogs: [],
  };
  expect(
    (await call(h.url, 'POST', '/api/multicloud-vio/v0/audit-1/vesagent', { body: { vesagent_config: ves } })).status,
  ).toBe(201);
  // Refused: no line.
  expect(
    (await call(h.url, 'PUT', '/api/v1/subscriptions/s2', { body: { vimId: 'nope', states: ['*'], topic: 'T' } }))
      .status,
  ).toBe(409);
  expect((await call(h.url, 'DELETE', '/api/v1/vims/audit-1')).status).toBe(204);

  const lines = audits();
  expect(lines.map((l) => l.what)).toEqual([
    'vim audit-1 created',
    'vim audit-1 replaced',
    'subscription s1 created',
    'vesagent audit-1 created',
    'vim audit-1 deleted',
  ]);
  expect(lines.every((l) => l.level === 'info' && l.client === '127.0.0.1')).toBe(true);
  expect(lines[1]).toMatchObject({
    old: { transportUrl: 'rabbit://relay:***@127.0.0.1:5672/' },
    new: { transportUrl: 'rabbit://relay:***@127.0.0.2:5672/' },
  });
  expect(lines[0].old).toBeNull();
  expect(lines[2].new).toMatchObject({ vimId: 'audit-1', states: ['ERROR'], topic: 'T' });
  expect(lines[4].new).toBeNull();
  expect(JSON.stringify(lines)).not.toMatch(/vim-s3cret|ves-s3cret/);
});

it("masks every token the admin port holds, the read token too, wherever a change's values carry it", async () => {
  const ADMIN = 'audit-admin-token-0123456789';
  const READ = 'audit-read-token-0123456789';
  const t = await startAdmin({ authToken: ADMIN, server: { readToken: READ } });
  try {
    const vim = await call(t.url, 'PUT', '/api/v1/vims/vio-tok', { body: { transportUrl: URL1 }, token: ADMIN });
    expect(vim.status).toBe(201);
    // A topic that happens to hold a token (pasted by mistake): the audit line must not repeat it.
    const put = await call(t.url, 'PUT', '/api/v1/subscriptions/s-tok', {
      body: { vimId: 'vio-tok', states: ['error'], topic: `T-${READ}-${ADMIN}` },
      token: ADMIN,
    });
    expect(put.status).toBe(201);
    const lines = t
      .logLines()
      .map((l) => JSON.parse(l) as AuditLine)
      .filter((l) => l.message === 'admin change');
    expect(lines.map((l) => l.what)).toEqual(['vim vio-tok created', 'subscription s-tok created']);
    expect(JSON.stringify(lines)).not.toContain(READ);
    expect(JSON.stringify(lines)).not.toContain(ADMIN);
  } finally {
    await t.close();
  }
});
