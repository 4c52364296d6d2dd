/** The running daemon refuses malformed transport URLs without ever showing their password: answers and log. */
import { PW, URLS_WITH_PASSWORD } from '../helpers/malformed-urls.js';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runCli, spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';

// A quote in a password is legal: those URLs would be taken and connected to; not here.
const REFUSED = URLS_WITH_PASSWORD.filter((u) => !/:a["']Secret9x@h\/$/.test(u));

let d: SpawnedDaemon;
beforeAll(async () => {
  d = await spawnDaemon({ log: { level: 'debug', format: 'json' } });
});
afterAll(async () => {
  await stopDaemon(d);
});

it.each(REFUSED)('PUT /api/v1/vims/x with %j: 400, no password in the answer', async (transportUrl) => {
  const res = await fetch(`${d.adminUrl}/api/v1/vims/x`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ transportUrl }),
  });
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(text).toContain('VALIDATION_FAILED');
  expect(text).not.toContain(PW);
});

it('logged no password, at debug level either', () => {
  expect(d.lines.length).toBeGreaterThan(REFUSED.length); // one debug line per admin request, at least
  expect(d.output()).not.toContain(PW);
});

it('run refuses a config holding them (CONFIG_INVALID on stderr) without printing the password', async () => {
  const dir = tempDir('ver-redact-run-');
  const config = path.join(dir, 'c.json');
  const vims = URLS_WITH_PASSWORD.map((transportUrl, i) => ({ id: `v${i}`, transportUrl }));
  writeFileSync(config, JSON.stringify({ store: { path: path.join(dir, 'state.json') }, vims }));
  const r = await runCli(['run', '--config', config]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('vims[0].transportUrl');
  expect(r.stdout + r.stderr).not.toContain(PW);
});
