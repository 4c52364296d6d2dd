/**
 * deploy/systemd/vim-event-relay.service, checked by systemd itself (`systemd-analyze verify`
 * and `security --offline`) and against the relay's config: the store under StateDirectory=,
 * secrets as credentials the relay reads, a stop timeout longer than the relay's drain.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseUnit, unitEnvironment, unitText, UNIT_FILE } from '../../helpers/systemd-unit.js';
import { ROOT, tempDir } from '../../helpers/daemon.js';
import { configSchema } from '../../../src/config/schema.js';
import { sensitiveKeys } from '../../../src/config/secret-files.js';

const text = unitText();
const unit = parseUnit(text);
const service = unit.get('Service')!;
const one = (key: string) => {
  const v = service.get(key);
  expect(v).toHaveLength(1);
  return v![0];
};

/** systemd-analyze's complaints about a copy of `body` (ExecStart's node made this machine's). */
async function analyze(body: string, args: string[]): Promise<{ lines: string[]; stdout: string }> {
  const dir = tempDir('ver-systemd-');
  const file = path.join(dir, 'vim-event-relay.service');
  // verify checks that ExecStart's binary exists; node may live elsewhere than /usr/bin here.
  writeFileSync(file, body.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  // Without a console log target systemd-analyze sends its warnings to the journal, not stderr,
  // and it exits 0 after warnings: the lines are the verdict.
  const env = { ...process.env, SYSTEMD_LOG_TARGET: 'console', SYSTEMD_LOG_COLOR: '0' };
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await promisify(execFile)('systemd-analyze', [...args, file], { env }));
  } catch (e) {
    const err = e as { code?: string | number; stdout: string; stderr: string };
    if (err.code === 'ENOENT') throw new Error('systemd-analyze is not installed: apt-get install systemd', { cause: e });
    ({ stdout, stderr } = err);
    stderr += `\n(exit ${String(err.code)})`;
  }
  return { lines: stderr.split('\n').filter((l) => l.includes('vim-event-relay') || l.startsWith('(exit')), stdout };
}

describe('deploy/systemd/vim-event-relay.service', () => {
  it('passes systemd-analyze verify without a warning', async () => {
    expect((await analyze(text, ['verify', '--man=no'])).lines).toEqual([]);
  });

  it('(the check would see a warning: a wrong key in a copy is reported)', async () => {
    const { lines } = await analyze(text.replace('[Service]\n', '[Service]\nNoSuchSetting=1\n'), ['verify', '--man=no']);
    expect(lines.join('\n')).toMatch(/Unknown key '?NoSuchSetting'? in section \[Service\]/);
  });

  it('is hardened: systemd-analyze security rates its exposure at most 2.0 ("OK")', async () => {
    const { stdout } = await analyze(text, ['security', '--offline=yes', '--no-pager']);
    const score = Number(/Overall exposure level for vim-event-relay\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
    // The README and docs/production.md quote the score.
    for (const doc of ['README.md', 'docs/production.md']) {
      const quoted = /`systemd-analyze security[^`]*`[^\d]{0,20}([\d.]+)/.exec(readFileSync(path.join(ROOT, doc), 'utf8'))?.[1];
      expect({ doc, score: Number(quoted) }).toEqual({ doc, score });
    }
    for (const key of ['NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'RestrictAddressFamilies', 'SystemCallFilter', 'CapabilityBoundingSet']) {
      expect(service.has(key)).toBe(true);
    }
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    // V8's JIT writes code it then runs: MemoryDenyWriteExecute=yes would crash node at start.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    expect(text).toMatch(/# MemoryDenyWriteExecute=yes is deliberately absent: V8's JIT/);
  });

  it('keeps the store in its StateDirectory (writable under ProtectSystem=strict)', () => {
    expect(one('StateDirectory')).toBe('vim-event-relay');
    const env = unitEnvironment(service);
    expect(path.dirname(env[configSchema.store.path.env])).toBe('/var/lib/vim-event-relay');
    // No ReadWritePaths= on a directory that may not exist (226/NAMESPACE at start).
    expect(service.has('ReadWritePaths')).toBe(false);
    const known = new Set(JSON.stringify(configSchema).match(/VIM_EVENT_RELAY_[A-Z0-9_]+/g));
    expect(Object.keys(env).filter((k) => k.startsWith('VIM_EVENT_RELAY_') && !known.has(k))).toEqual([]);
  });

  it('runs the built relay with the config passed as a credential', () => {
    expect(one('Type')).toBe('simple');
    expect(one('ExecStart')).toBe(
      '/usr/bin/node --single-threaded-gc /opt/vim-event-relay/dist/main.js run --config ${CREDENTIALS_DIRECTORY}/config.json',
    );
    const creds = (service.get('LoadCredential') ?? []).map((c) => c.split(':')[0]);
    expect(creds).toContain('config.json');
    // Every other credential is a secret key the relay reads from $CREDENTIALS_DIRECTORY.
    const secretKeys = new Set(sensitiveKeys().map((k) => k.key));
    expect(creds.filter((c) => c !== 'config.json' && !secretKeys.has(c))).toEqual([]);
    expect(creds).toEqual(expect.arrayContaining([...secretKeys]));
    // A connection per VIM: far above systemd's default soft limit of 1024.
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
  });

  it("stops with SIGTERM and waits longer than the relay's drain and broker close", () => {
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('Restart')).toBe('on-failure');
    // shutdown.timeoutMs, then at most 5 s to close the broker connections (README "Delivery guarantees").
    const drainSeconds = configSchema.shutdown.timeoutMs.default / 1000 + 5;
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(drainSeconds);
  });

  it('is what the README points to, instead of a snippet of its own', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('deploy/systemd/vim-event-relay.service');
    expect(readme).not.toMatch(/^\[Service\]$/m);
    expect(UNIT_FILE.startsWith(ROOT)).toBe(true);
  });
});
