/**
 * The systemd unit's command line, run as systemd would run it (its Environment= and a
 * $CREDENTIALS_DIRECTORY holding its credentials), with `check-config` in place of `run`: the
 * built relay finds its config and secrets where the unit puts them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseUnit, unitEnvironment, unitText } from '../helpers/systemd-unit.js';
import { MAIN, runCli, tempDir } from '../helpers/daemon.js';

const service = parseUnit(unitText()).get('Service')!;
const [node, gcFlag, main, command, ...rest] = service.get('ExecStart')![0].split(' ');

async function asSystemdRuns(credentials: Record<string, string>) {
  const dir = tempDir('ver-credentials-');
  for (const [name, content] of Object.entries(credentials)) writeFileSync(path.join(dir, name), content);
  const args = rest.map((a) => a.replace('${CREDENTIALS_DIRECTORY}', dir));
  return runCli(['check-config', ...args], { env: { ...unitEnvironment(service), CREDENTIALS_DIRECTORY: dir } });
}

const config = JSON.stringify({
  dmaap: { url: 'http://127.0.0.1:3904', username: 'relay' },
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://nova:broker-secret@10.0.0.5:5672/' }],
});

describe('the systemd unit, as it starts the relay', () => {
  it('runs node on the built main.js', () => {
    // One GC thread (docs/performance.md), as the Dockerfile and `npm start` run it.
    expect([node, gcFlag, main, command]).toEqual([
      '/usr/bin/node',
      '--single-threaded-gc',
      '/opt/vim-event-relay/dist/main.js',
      'run',
    ]);
    expect(path.basename(MAIN)).toBe(path.basename(main));
  });

  it('reads the config and the secrets from the credentials, the store path from Environment=', async () => {
    const r = await asSystemdRuns({
      'config.json': config,
      'dmaap.password': 'mr-secret\n',
      'admin.authToken': 'tok-secret\n',
    });
    // No warning; only the line saying where the vims and subscriptions come from.
    expect(r.stderr).toBe(
      'vims and subscriptions in force: the config (no store yet: it will seed the store on the first start)\n',
    );
    expect(r.code).toBe(0);
    const effective = JSON.parse(r.stdout) as {
      store: { path: string };
      dmaap: { password: string };
      admin: { authToken: string };
      log: { format: string };
    };
    expect(effective.store.path).toBe('/var/lib/vim-event-relay/state.json');
    expect(effective.log.format).toBe('json');
    expect(effective.dmaap.password).toBe('***'); // set (and redacted)
    expect(effective.admin.authToken).toBe('***');
    expect(r.stdout).not.toMatch(/mr-secret|tok-secret|broker-secret/);
  });

  it('starts without the optional secrets when their credentials are absent', async () => {
    const r = await asSystemdRuns({ 'config.json': config });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { dmaap: { password: string } }).dmaap.password).toBe('');
  });

  it('refuses an empty secret credential, naming it', async () => {
    const r = await asSystemdRuns({ 'config.json': config, 'dmaap.password': '\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dmaap\.password: systemd credential dmaap\.password: .*dmaap\.password is empty/);
  });
});
