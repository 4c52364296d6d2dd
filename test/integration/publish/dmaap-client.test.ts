import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DmaapClient } from '../../../src/publish/dmaap-client.js';
import { startFaultServer, type FaultServer } from '../../helpers/fault-http.js';
import { sized } from '../../helpers/fixtures.js';
import { selfSignedCert, type SelfSigned } from '../../helpers/self-signed.js';

let fault: FaultServer;
const clients: DmaapClient[] = [];
const client = (opts: Partial<ConstructorParameters<typeof DmaapClient>[0]> = {}): DmaapClient => {
  const c = new DmaapClient({ url: fault.url, timeoutMs: 2000, maxSockets: 4, ...opts });
  clients.push(c);
  return c;
};

beforeEach(async () => {
  fault = await startFaultServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fault.close();
});

describe('DmaapClient.postBatch', () => {
  it('posts the messages verbatim as one JSON array with exactly Content-Type: application/json', async () => {
    const jsons = ['{"b":1,  "a":2}', '{"x":"é\\u00e9"}'];
    const res = await client().postBatch('VIM_VM_EVENTS', sized(jsons));
    expect(res.status).toBe(200);
    const req = fault.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/events/VIM_VM_EVENTS');
    expect(req.body).toBe('[{"b":1,  "a":2},{"x":"é\\u00e9"}]');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('encodes the topic into the path and tolerates a trailing slash in the URL', async () => {
    await client({ url: `${fault.url}/` }).postBatch('odd topic/x', sized(['{}']));
    expect(fault.requests[0].path).toBe('/events/odd%20topic%2Fx');
  });

  it('sends Basic auth when a username is set', async () => {
    await client({ username: 'relay@onap.org', password: 's3cr:et' }).postBatch('T', sized(['{}']));
    const expected = `Basic ${Buffer.from('relay@onap.org:s3cr:et').toString('base64')}`;
    expect(fault.requests[0].headers.authorization).toBe(expected);
  });

  it('returns any status with lower-case headers and the raw body', async () => {
    fault.script({
      kind: 'respond',
      status: 503,
      headers: { 'Retry-After': '5', 'Content-Type': 'text/html' },
      body: '<h1>down</h1>',
    });
    const res = await client().postBatch('T', sized(['{}']));
    expect(res).toMatchObject({ status: 503, body: '<h1>down</h1>' });
    expect(res.headers['retry-after']).toBe('5');
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps a JSON answer as text', async () => {
    const res = await client().postBatch('T', sized(['{}', '{}']));
    expect(res.body).toBe('{"count":2,"serverTimeMs":0}');
  });

  it('throws when the connection is reset', async () => {
    fault.script({ kind: 'reset' });
    await expect(client().postBatch('T', sized(['{}']))).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('throws ETIMEDOUT when no answer comes within timeoutMs', async () => {
    fault.script({ kind: 'hang' });
    await expect(client({ timeoutMs: 150 }).postBatch('T', sized(['{}']))).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringContaining('150 ms'),
    });
  });

  it('throws when the caller aborts', async () => {
    fault.script({ kind: 'hang' });
    const ctrl = new AbortController();
    const p = client().postBatch('T', sized(['{}']), ctrl.signal);
    await fault.waitForRequests(1);
    ctrl.abort();
    await expect(p).rejects.toBeDefined();
  });

  it('throws when nothing listens', async () => {
    const url = fault.url;
    await fault.close();
    fault = await startFaultServer();
    await expect(client({ url, timeoutMs: 1000 }).postBatch('T', sized(['{}']))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('names dmaap.caFile when the CA file cannot be read', () => {
    expect(
      () =>
        new DmaapClient({
          url: 'https://127.0.0.1:3905',
          timeoutMs: 1000,
          maxSockets: 4,
          caFile: '/nonexistent/ca.pem',
        }),
    ).toThrow(/dmaap\.caFile.*\/nonexistent\/ca\.pem/);
  });
});

describe('DmaapClient over HTTPS', () => {
  let tls: SelfSigned;
  let server: https.Server;
  let url: string;

  beforeAll(async () => {
    tls = selfSignedCert('dmaap-tls-');
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"count":1,"serverTimeMs":0}'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    tls.remove();
  });

  it('trusts the server through dmaap.caFile', async () => {
    const c = new DmaapClient({ url, timeoutMs: 2000, maxSockets: 4, caFile: tls.certFile });
    clients.push(c);
    expect((await c.postBatch('T', sized(['{}']))).status).toBe(200);
  });

  it('refuses the same server without the CA', async () => {
    const c = new DmaapClient({ url, timeoutMs: 2000, maxSockets: 4 });
    clients.push(c);
    await expect(c.postBatch('T', sized(['{}']))).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
