/** The daemon as started: what it refuses, and what it only warns about, before it serves anything. */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runCli, spawnDaemon, stopDaemon, tempDir } from '../helpers/daemon.js';

it('run refuses an admin port open to the network without a token, naming both keys and variables', async () => {
  const dir = tempDir('ver-exposed-');
  const config = path.join(dir, 'c.json');
  writeFileSync(
    config,
    JSON.stringify({ admin: { host: '0.0.0.0', port: 0 }, store: { path: path.join(dir, 'state.json') } }),
  );
  const r = await runCli(['run', '--config', config]);
  expect(r.code).toBe(1);
  for (const s of [
    'admin.host (VIM_EVENT_RELAY_ADMIN_HOST) is "0.0.0.0"',
    'admin.authToken (VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN) is empty',
    'admin.allowUnauthenticated (VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED)',
  ]) {
    expect(r.stderr).toContain(s);
  }
});

it('run warns in its log about a mistyped VIM_EVENT_RELAY_* variable, naming the closest one', async () => {
  const d = await spawnDaemon({}, { env: { VIM_EVENT_RELAY_PUBLISH_LINGER: '5' } });
  try {
    expect(d.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message:
          'VIM_EVENT_RELAY_PUBLISH_LINGER is not a known variable and is ignored; did you mean VIM_EVENT_RELAY_PUBLISH_LINGER_MS? (README "Configuration" lists them)',
      }),
    );
  } finally {
    expect(await stopDaemon(d)).toBe(0);
  }
});
