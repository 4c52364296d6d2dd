/** A password given to the API never comes back, in any answer, error messages included. */
import { call, startAdmin, type Harness } from './harness.js';

const PASSWORD = 'Sup3rS3cretPw';
const URL_WITH_PASSWORD = `rabbit://nova:${PASSWORD}@10.0.0.5:5672/`;

let h: Harness;
const answers: string[] = [];
beforeAll(async () => {
  h = await startAdmin({ authToken: 'the-admin-token-1' });
});
afterAll(async () => {
  await h.close();
});

async function record(method: string, path: string, opts: Parameters<typeof call>[3] = {}) {
  const a = await call(h.url, method, path, { token: 'the-admin-token-1', ...opts });
  answers.push(`${a.status} ${[...a.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${a.text}`);
  return a;
}

it('no answer to any route contains the password', async () => {
  const put = await record('PUT', '/api/v1/vims/vio-1', { body: { transportUrl: URL_WITH_PASSWORD } });
  expect(put.status).toBe(201);
  expect(put.json).toMatchObject({ transportUrl: 'rabbit://nova:***@10.0.0.5:5672/' });
  await record('PUT', '/api/v1/vims/vio-1', { body: { transportUrl: URL_WITH_PASSWORD, exchange: 'nova' } });
  await record('GET', '/api/v1/vims');
  await record('GET', '/api/v1/vims/vio-1');
  // Validation errors that quote the offending value.
  const badScheme = await record('PUT', '/api/v1/vims/vio-2', { body: { transportUrl: `http://nova:${PASSWORD}@h/` } });
  expect(badScheme.status).toBe(400);
  expect(badScheme.json).toMatchObject({
    error: { message: expect.stringContaining('"http://nova:***@h/" does not match') },
  });
  const badPort = await record('PUT', '/api/v1/vims/vio-2', {
    body: { transportUrl: `rabbit://nova:${PASSWORD}@h:70000/` },
  });
  expect(badPort.status).toBe(400);
  // The transport_url parser names the part that is wrong, never the URL.
  expect(badPort.json).toEqual({
    error: {
      code: 'VALIDATION_FAILED',
      message: 'body.transportUrl: port "70000" of host h is not a number from 1 to 65535',
    },
  });
  const wrongType = await record('PUT', '/api/v1/vims/vio-2', {
    body: { transportUrl: URL_WITH_PASSWORD, topics: URL_WITH_PASSWORD },
  });
  expect(wrongType.json).toMatchObject({
    error: { message: 'body.topics must be an array (got "rabbit://nova:***@10.0.0.5:5672/")' },
  });
  await record('PUT', '/api/v1/vims/vio-2', { raw: `{"transportUrl": "${URL_WITH_PASSWORD}"` });
  await record('PUT', '/api/v1/vims/vio-2', { raw: URL_WITH_PASSWORD, contentType: 'text/plain' });
  await record('PUT', '/api/v1/subscriptions/s', { body: { vimId: 'vio-1', states: [URL_WITH_PASSWORD], topic: 'T' } });
  await record('GET', `/api/v1/nothing/${encodeURIComponent(URL_WITH_PASSWORD)}`);
  await record('GET', `/api/v1/nothing?x=${URL_WITH_PASSWORD}`);
  await record('GET', '/api/openapi.json');
  expect(answers.length).toBeGreaterThan(10);
  for (const a of answers) expect(a).not.toContain(PASSWORD);
  // The admin token is a secret too, and never echoed.
  for (const a of answers) expect(a).not.toContain('the-admin-token-1');
});

it("nor the key password of a TLS transport_url (oslo's ssl_key_password)", async () => {
  const keyPassword = 'K3yPassw0rdXyz';
  const url = `rabbit://nova@10.0.0.5:5671/?ssl=1&ssl_cert_file=/etc/c.pem&ssl_key_file=/etc/k.pem&ssl_key_password=${keyPassword}`;
  const put = await record('PUT', '/api/v1/vims/vio-tls', { body: { transportUrl: url } });
  expect(put.status).toBe(201);
  expect(put.json).toMatchObject({
    transportUrl:
      'rabbit://nova@10.0.0.5:5671/?ssl=1&ssl_cert_file=/etc/c.pem&ssl_key_file=/etc/k.pem&ssl_key_password=***',
  });
  const bad = await record('PUT', '/api/v1/vims/vio-tls', {
    body: { transportUrl: `${url}&heartbeat_timeout_threshold=x` },
  });
  expect(bad.status).toBe(400);
  expect(bad.json).toMatchObject({
    error: { message: expect.stringContaining('heartbeat_timeout_threshold "x" is not a whole number of seconds') },
  });
  await record('GET', '/api/v1/vims/vio-tls');
  await record('GET', '/api/v1/vims');
  for (const a of answers) expect(a).not.toContain(keyPassword);
  for (const line of h.logLines()) expect(line).not.toContain(keyPassword);
});

it('nor does any log line', () => {
  expect(h.logLines().length).toBeGreaterThan(5);
  for (const line of h.logLines()) expect(line).not.toContain(PASSWORD);
});
