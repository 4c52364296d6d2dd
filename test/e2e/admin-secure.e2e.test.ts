/**
 * The built daemon set up as docs/production.md says for a network not fully trusted: HTTPS on
 * the admin port, an admin and a read token from files (one rotated while it runs), /metrics
 * behind the read token, and the store's secrets encrypted; and the warning when they are not.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { testCa, type TestCa } from '../helpers/test-ca.js';
import { waitFor } from '../helpers/wait.js';

const BROKER_PASSWORD = 'E2e-Br0ker-Pa55';
let ca: TestCa;
let d: SpawnedDaemon | undefined;
beforeAll(() => {
  ca = testCa('admin-secure-e2e-');
});
afterAll(() => ca.remove());
afterEach(async () => {
  if (d) await stopDaemon(d);
  d = undefined;
});

function call(url: string, method: string, p: string, token?: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${p}`,
      {
        method,
        ca: ca.ca,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

it('serves HTTPS with both tokens from files, rotates one, and keeps no password in the store', async () => {
  const dir = tempDir('admin-secure-');
  const server = ca.issue('e2e-server');
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const readFile = file('read-token', 'read-token-e2e-1\n');
  d = await spawnDaemon(
    { admin: { host: '127.0.0.1', port: 0, metricsRequireToken: true } },
    {
      dir,
      env: {
        VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE: server.certFile,
        VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE: server.keyFile,
        VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: file('admin-token', 'admin-token-e2e\n'),
        VIM_EVENT_RELAY_ADMIN_READ_TOKEN_FILE: readFile,
        VIM_EVENT_RELAY_STORE_SECRET_KEY_FILE: file('store-key', `k1:${randomBytes(32).toString('base64')}\n`),
      },
    },
  );
  expect(d.adminUrl).toMatch(/^https:\/\//);
  expect(await call(d.adminUrl, 'GET', '/healthz')).toBe(200);
  expect(await call(d.adminUrl, 'GET', '/metrics')).toBe(401);
  expect(await call(d.adminUrl, 'GET', '/metrics', 'read-token-e2e-1')).toBe(200);
  const vim = { transportUrl: `rabbit://nova:${BROKER_PASSWORD}@127.0.0.1:9/` };
  expect(await call(d.adminUrl, 'PUT', '/api/v1/vims/vio-e2e', 'read-token-e2e-1', vim)).toBe(403);
  expect(await call(d.adminUrl, 'PUT', '/api/v1/vims/vio-e2e', 'admin-token-e2e', vim)).toBe(201);
  const state = readFileSync(path.join(dir, 'state.json'), 'utf8');
  expect(state).toContain('vio-e2e');
  expect(state).not.toContain(BROKER_PASSWORD);

  writeFileSync(readFile, 'read-token-e2e-2\n');
  await waitFor(
    async () => (await call(d!.adminUrl, 'GET', '/api/v1/vims', 'read-token-e2e-2')) === 200,
    'the rotated read token',
  );
  expect(await call(d.adminUrl, 'GET', '/api/v1/vims', 'read-token-e2e-1')).toBe(401);
  expect(d.lines.some((l) => l.message.startsWith('secrets are stored in clear'))).toBe(false);
  expect(d.output()).not.toContain('read-token-e2e');
  expect(d.output()).not.toContain(BROKER_PASSWORD);
});

it('says at start that secrets are stored in clear without store.secretKeyFile', async () => {
  d = await spawnDaemon({});
  const warning = d.lines.find((l) => l.message.startsWith('secrets are stored in clear'));
  expect(warning).toMatchObject({ level: 'warn', engine: 'file' });
  expect(warning!.message).toContain('set store.secretKeyFile');
});
