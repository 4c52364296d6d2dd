/**
 * The two tokens of the admin API: the read token reads (GETs, check_vim_status, /metrics when
 * protected) and is refused every change with 403; the admin token does everything. Refusals
 * are counted and logged without the token; a token given as a file rotates by rewriting it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretFileOf } from '../../../src/config/secret-files.js';
import { waitFor } from '../../helpers/wait.js';
import { call, startAdmin, VIM, type Harness } from './harness.js';

const ADMIN = 'admin-token-0123456789';
const READ = 'read-token-9876543210';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const failures = async (reason: string): Promise<number> => {
  const text = await h!.observer.registry.metrics();
  const m = new RegExp(`vim_event_relay_admin_auth_failures_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

describe('read and admin tokens', () => {
  beforeEach(async () => {
    h = await startAdmin({ authToken: ADMIN, server: { readToken: READ } });
    await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM, token: ADMIN });
  });

  it.each([
    ['GET', '/api/v1/vims'],
    ['GET', '/api/v1/vims/vio-1'],
    ['GET', '/api/v1/subscriptions'],
    ['GET', '/api/multicloud-vio/v0/vio-1/vesagent'],
    ['POST', '/api/multicloud-vio/v0/vio-1/check_vim_status'],
    ['GET', '/api/openapi.json'],
  ])('the read token may %s %s', async (method, path) => {
    const body = method === 'POST' ? { body: { states: ['*'] } } : {};
    const a = await call(h!.url, method, path, { ...body, token: READ });
    expect(a.status).not.toBe(401);
    expect(a.status).not.toBe(403);
    expect(a.status).toBeLessThan(500);
  });

  it.each([
    ['PUT', '/api/v1/vims/vio-2', VIM],
    ['DELETE', '/api/v1/vims/vio-1', undefined],
    ['PUT', '/api/v1/subscriptions/s-1', { vimId: 'vio-1', topic: 'T', states: ['ACTIVE'] }],
    ['DELETE', '/api/v1/subscriptions/s-1', undefined],
    ['POST', '/api/multicloud-vio/v0/vio-1/vesagent', { vesagent_config: {} }],
    ['DELETE', '/api/multicloud-fcaps/v0/vio-1/vesagent', undefined],
  ])('the read token may not %s %s (403 FORBIDDEN, nothing changed)', async (method, path, body) => {
    const a = await call(h!.url, method, path, { ...(body ? { body } : {}), token: READ });
    expect(a.status).toBe(403);
    expect(a.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await call(h!.url, 'GET', '/api/v1/vims', { token: ADMIN })).json).toHaveLength(1);
  });

  it('the admin token may change, and read', async () => {
    expect((await call(h!.url, 'PUT', '/api/v1/vims/vio-2', { body: VIM, token: ADMIN })).status).toBe(201);
    expect((await call(h!.url, 'GET', '/api/v1/vims', { token: ADMIN })).json).toHaveLength(2);
    expect((await call(h!.url, 'DELETE', '/api/v1/vims/vio-2', { token: ADMIN })).status).toBe(204);
  });

  it('counts refusals by reason and logs them at most once in a while, never with the token', async () => {
    for (let i = 0; i < 5; i++) await call(h!.url, 'GET', '/api/v1/vims', { token: `guess-${i}-secret` });
    await call(h!.url, 'GET', '/api/v1/vims');
    await call(h!.url, 'DELETE', '/api/v1/vims/vio-1', { token: READ });
    expect(await failures('wrong')).toBe(5);
    expect(await failures('missing')).toBe(1);
    expect(await failures('forbidden')).toBe(1);
    const lines = h!.logLines().filter((l) => l.includes('admin request refused'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', reason: 'wrong', method: 'GET', path: '/api/v1/vims' });
    const all = h!.logLines().join('\n');
    expect(all).not.toContain('guess-');
    expect(all).not.toContain(READ);
    expect(all).not.toContain(ADMIN);
  });

  it('leaves /metrics open by default', async () => {
    expect((await call(h!.url, 'GET', '/metrics')).status).toBe(200);
  });
});

it('admin.metricsRequireToken puts /metrics behind the read token; the probes stay open', async () => {
  h = await startAdmin({ authToken: ADMIN, server: { readToken: READ, metricsRequireToken: true } });
  expect((await call(h.url, 'GET', '/metrics')).status).toBe(401);
  expect((await call(h.url, 'GET', '/metrics', { token: 'nope-nope' })).status).toBe(401);
  const ok = await call(h.url, 'GET', '/metrics', { token: READ });
  expect(ok.status).toBe(200);
  expect(ok.text).toContain('vim_event_relay_admin_auth_failures_total{reason="missing"} 1');
  expect((await call(h.url, 'GET', '/metrics', { token: ADMIN })).status).toBe(200);
  expect((await call(h.url, 'GET', '/healthz')).status).toBe(200);
  expect((await call(h.url, 'GET', '/readyz')).status).toBe(200);
});

it('takes a token rotated by rewriting its file, without a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'admin-token-file-'));
  try {
    const adminFile = join(dir, 'admin-token');
    const readFile = join(dir, 'read-token');
    writeFileSync(adminFile, `${ADMIN}\n`);
    writeFileSync(readFile, `${READ}\n`);
    const env = {
      VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: adminFile,
      VIM_EVENT_RELAY_ADMIN_READ_TOKEN_FILE: readFile,
    };
    h = await startAdmin({
      authToken: ADMIN,
      server: {
        readToken: READ,
        tokenFiles: { admin: secretFileOf('admin.authToken', env), read: secretFileOf('admin.readToken', env) },
        reloadCheckMs: 100,
      },
    });
    expect((await call(h.url, 'GET', '/api/v1/vims', { token: READ })).status).toBe(200);
    writeFileSync(readFile, 'read-token-rotated-2\n');
    writeFileSync(adminFile, 'admin-token-rotated-2\n');
    await waitFor(
      async () => (await call(h!.url, 'GET', '/api/v1/vims', { token: 'read-token-rotated-2' })).status === 200,
      'the rotated read token',
    );
    await waitFor(
      async () =>
        (await call(h!.url, 'PUT', '/api/v1/vims/vio-9', { body: VIM, token: 'admin-token-rotated-2' })).status === 201,
      'the rotated admin token',
    );
    expect((await call(h.url, 'GET', '/api/v1/vims', { token: READ })).status).toBe(401);
    expect((await call(h.url, 'GET', '/api/v1/vims', { token: ADMIN })).status).toBe(401);
    // An emptied file (a rotation half done) keeps the token in force, and says so.
    writeFileSync(readFile, '');
    await waitFor(() => h!.logLines().some((l) => l.includes('file changed but cannot be used')), 'the warning');
    expect((await call(h.url, 'GET', '/api/v1/vims', { token: 'read-token-rotated-2' })).status).toBe(200);
    expect(h.logLines().join('\n')).not.toContain('rotated-2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
