/**
 * The admin port over TLS, with certificates made here (openssl): HTTPS served, a certificate
 * rotated the way a Kubernetes Secret volume does it (the ..data symlink swapped) while a
 * client holds a connection open, a bad pair refused at start, and client certificates.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { RelayError } from '../../../src/errors.js';
import { testCa, type Issued, type TestCa } from '../../helpers/test-ca.js';
import { waitFor } from '../../helpers/wait.js';
import { startAdmin, type Harness } from './harness.js';

interface Reply {
  readonly status: number;
  readonly body: string;
  /** The certificate the server presented on this request's connection. */
  readonly fingerprint: string;
  readonly socket: TLSSocket;
}

function get(
  url: string,
  path: string,
  opts: { ca: Buffer; agent?: Agent; client?: Issued; headers?: Record<string, string> },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        ca: opts.ca,
        agent: opts.agent ?? false,
        headers: opts.headers,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
      },
      (res) => {
        // Read now: a keep-alive agent takes the socket back once the body has ended.
        const socket = res.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint, socket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const fingerprintOf = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;

let ca: TestCa;
let h: Harness | undefined;
beforeAll(() => {
  ca = testCa('admin-tls-');
});
afterAll(() => ca.remove());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The layout kubelet gives a Secret volume: files reached through the ..data symlink, swapped whole on update. */
function secretVolume(first: Issued): { dir: string; rotate(next: Issued): void } {
  const dir = join(ca.dir, `volume-${Math.random().toString(16).slice(2)}`);
  let n = 0;
  const publish = (c: Issued): string => {
    const version = join(dir, `..v${++n}`);
    mkdirSync(version);
    writeFileSync(join(version, 'tls.crt'), c.cert);
    writeFileSync(join(version, 'tls.key'), c.key);
    return `..v${n}`;
  };
  mkdirSync(dir);
  symlinkSync(publish(first), join(dir, '..data'));
  symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(dir, 'tls.key'));
  return {
    dir,
    rotate(next) {
      const target = publish(next);
      symlinkSync(target, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    },
  };
}

it('serves HTTPS with the certificate and key files given', async () => {
  const server = ca.issue('server-a');
  h = await startAdmin({ server: { tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: '' } } });
  expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const a = await get(h.url, '/healthz', { ca: ca.ca });
  expect(a.status).toBe(200);
  expect(a.fingerprint).toBe(fingerprintOf(server.cert));
});

it('takes a rotated certificate without dropping the port or a connected client', async () => {
  const first = ca.issue('rotate-1');
  const second = ca.issue('rotate-2');
  const volume = secretVolume(first);
  h = await startAdmin({
    server: {
      tls: { certFile: join(volume.dir, 'tls.crt'), keyFile: join(volume.dir, 'tls.key'), clientCaFile: '' },
      reloadCheckMs: 100,
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.ca });
  try {
    const before = await get(h.url, '/healthz', { ca: ca.ca, agent });
    expect(before.fingerprint).toBe(fingerprintOf(first.cert));
    volume.rotate(second);
    // A new connection gets the new certificate once the change is seen...
    await waitFor(
      async () => (await get(h!.url, '/healthz', { ca: ca.ca })).fingerprint === fingerprintOf(second.cert),
      'the rotated certificate on a new connection',
    );
    // ...while the client connected before goes on over the same connection, on the old one.
    const after = await get(h.url, '/healthz', { ca: ca.ca, agent });
    expect(after.status).toBe(200);
    expect(after.socket).toBe(before.socket);
    expect(after.fingerprint).toBe(fingerprintOf(first.cert));
    expect(h.logLines().some((l) => l.includes('admin TLS certificate reloaded'))).toBe(true);
  } finally {
    agent.destroy();
  }
});

it('keeps the certificate in force when the files change into a mismatched pair, and takes the next good one', async () => {
  const first = ca.issue('half-1');
  const other = ca.issue('half-2');
  const dir = join(ca.dir, 'half');
  mkdirSync(dir);
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  h = await startAdmin({ server: { tls: { certFile, keyFile, clientCaFile: '' }, reloadCheckMs: 100 } });
  // The certificate written before its key: for a moment the pair does not match.
  writeFileSync(certFile, other.cert);
  await waitFor(() => h!.logLines().some((l) => l.includes('cannot be used yet')), 'the mismatch warning');
  expect((await get(h.url, '/healthz', { ca: ca.ca })).fingerprint).toBe(fingerprintOf(first.cert));
  writeFileSync(keyFile, other.key);
  await waitFor(
    async () => (await get(h!.url, '/healthz', { ca: ca.ca })).fingerprint === fingerprintOf(other.cert),
    'the completed rotation',
  );
});

it.each([
  [
    'a missing certificate file',
    (s: Issued) => ({ certFile: join(ca.dir, 'nope.pem'), keyFile: s.keyFile }),
    /admin\.tls\.certFile.*cannot read .*nope\.pem \(ENOENT\)/,
  ],
  [
    "a key that is not the certificate's",
    (s: Issued) => ({ certFile: s.certFile, keyFile: ca.issue('stranger').keyFile }),
    /admin\.tls\.keyFile.*is not the private key of the certificate/,
  ],
  [
    'a key given as the certificate',
    (s: Issued) => ({ certFile: s.keyFile, keyFile: s.keyFile }),
    /admin\.tls\.certFile.*holds no PEM certificate/,
  ],
  [
    'a certificate without its key',
    (s: Issued) => ({ certFile: s.certFile, keyFile: '' }),
    /admin\.tls\.keyFile.*is empty/,
  ],
])('refuses to start with %s, naming the key and the fix (CONFIG_INVALID)', async (_n, files, message) => {
  const server = ca.issue(`bad-${Math.random().toString(16).slice(2)}`);
  const started = startAdmin({ server: { tls: { clientCaFile: '', ...files(server) } } });
  await expect(started).rejects.toBeInstanceOf(RelayError);
  await expect(started).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
});

describe('client certificates (admin.tls.clientCaFile)', () => {
  beforeEach(async () => {
    const server = ca.issue('mtls-server');
    h = await startAdmin({
      authToken: 'admin-token-1234',
      server: { tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.caFile } },
    });
  });

  it('refuses a request without a client certificate (401) but lets the probes through', async () => {
    const a = await get(h!.url, '/api/v1/vims', { ca: ca.ca, headers: { authorization: 'Bearer admin-token-1234' } });
    expect(a.status).toBe(401);
    expect(JSON.parse(a.body)).toMatchObject({
      error: { code: 'UNAUTHORIZED', message: expect.stringContaining('client certificate') },
    });
    expect((await get(h!.url, '/healthz', { ca: ca.ca })).status).toBe(200);
    expect((await get(h!.url, '/readyz', { ca: ca.ca })).status).toBe(200);
    expect((await get(h!.url, '/metrics', { ca: ca.ca })).status).toBe(401);
  });

  it('refuses a client certificate another CA signed', async () => {
    const stranger = testCa('admin-tls-other-');
    try {
      const client = stranger.issue('intruder', { client: true });
      const a = await get(h!.url, '/api/v1/vims', {
        ca: ca.ca,
        client,
        headers: { authorization: 'Bearer admin-token-1234' },
      });
      expect(a.status).toBe(401);
    } finally {
      stranger.remove();
    }
  });

  it('accepts a client certificate the CA signed, the token still checked', async () => {
    const client = ca.issue('operator', { client: true });
    const ok = await get(h!.url, '/api/v1/vims', {
      ca: ca.ca,
      client,
      headers: { authorization: 'Bearer admin-token-1234' },
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual([]);
    expect((await get(h!.url, '/api/v1/vims', { ca: ca.ca, client })).status).toBe(401);
  });
});
