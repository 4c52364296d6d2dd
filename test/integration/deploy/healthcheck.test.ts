/**
 * The image's HEALTHCHECK script (deploy/docker/healthcheck.mjs), run as Docker runs it: a node
 * process, judged by its exit code, against the real admin server and real loopback peers.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAdmin, type Harness } from '../admin/harness.js';
import { freePort, ROOT } from '../../helpers/daemon.js';
import { selfSignedCert } from '../../helpers/self-signed.js';

const SCRIPT = path.join(ROOT, 'deploy/docker/healthcheck.mjs');

async function probe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

let admin: Harness;
let servers: Server[] = [];
beforeAll(async () => {
  admin = await startAdmin();
});
afterAll(async () => {
  await admin.close();
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

async function answering(status: number, delayMs = 0): Promise<string> {
  const s = createServer((_req, res) => setTimeout(() => res.writeHead(status).end(), delayMs));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/healthz`;
}

it("is healthy when the relay's /healthz answers, on the port VIM_EVENT_RELAY_ADMIN_PORT names", async () => {
  const port = new URL(admin.url).port;
  expect(await probe([], { VIM_EVENT_RELAY_ADMIN_PORT: port })).toEqual({ code: 0, stderr: '' });
  expect(await probe([`${admin.url}/healthz`])).toEqual({ code: 0, stderr: '' });
});

it('is unhealthy on a non-2xx answer, saying which', async () => {
  const r = await probe([await answering(503)]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/answered HTTP 503/);
});

it('is unhealthy when nothing listens, and when the answer takes longer than its timeout', async () => {
  const closed = await probe([], { VIM_EVENT_RELAY_ADMIN_PORT: String(await freePort()) });
  expect(closed.code).toBe(1);
  expect(closed.stderr).toMatch(/did not answer \(ECONNREFUSED\)/);
  const slow = await probe([await answering(200, 4000)]);
  expect(slow.code).toBe(1);
  expect(slow.stderr).toMatch(/did not answer \(TimeoutError\)/);
}, 15_000);

it('asks over HTTPS when the admin port has TLS (VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE), whatever its certificate names', async () => {
  const cert = selfSignedCert('healthcheck-tls-');
  const s = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.writeHead(200).end());
  try {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = String((s.address() as { port: number }).port);
    const tls = { VIM_EVENT_RELAY_ADMIN_PORT: port, VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE: cert.certFile };
    expect(await probe([], tls)).toEqual({ code: 0, stderr: '' });
    // Without the variable it speaks plain HTTP to a TLS port, and fails.
    expect((await probe([], { VIM_EVENT_RELAY_ADMIN_PORT: port })).code).toBe(1);
  } finally {
    await new Promise((r) => s.close(r));
    cert.remove();
  }
});
