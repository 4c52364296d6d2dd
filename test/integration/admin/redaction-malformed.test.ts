/** A malformed transport URL is refused without its password: in the answer, the log and check-config. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { checkConfig } from '../../../src/cli/check-config.js';
import { parseCli } from '../../../src/cli/args.js';
import { PW, URLS_WITH_PASSWORD as MALFORMED } from '../../helpers/malformed-urls.js';
import { call, startAdmin, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startAdmin();
});
afterAll(async () => {
  await h.close();
});

// A quote in a password is legal (if unwise): those URLs are taken, and still never shown.
const TAKEN = (url: string) => /:a["']Secret9x@h\/$/.test(url);

it.each(MALFORMED)('PUT /api/v1/vims with %j answers without the password', async (url) => {
  const a = await call(h.url, 'PUT', '/api/v1/vims/x', { body: { transportUrl: url } });
  if (TAKEN(url)) {
    expect(a.status).toBeLessThan(300);
    const get = await call(h.url, 'GET', '/api/v1/vims/x');
    expect(get.text).not.toContain(PW);
  } else {
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  }
  expect(a.text).not.toContain(PW);
});

it('logs no password either', () => {
  for (const line of h.logLines()) expect(line).not.toContain(PW);
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString()));
  return { stream, text: () => out };
}

it.each(MALFORMED)('check-config judges %j without printing the password', async (url) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ver-redact-'));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ vims: [{ id: 'a', transportUrl: url }] }));
  const out = capture();
  const err = capture();
  expect(await checkConfig(parseCli(['check-config', '--config', file]), out.stream, err.stream, {})).toBe(
    TAKEN(url) ? 0 : 1,
  );
  if (!TAKEN(url)) expect(err.text()).toContain('vims[0].transportUrl');
  expect(out.text() + err.text()).not.toContain(PW);
});
