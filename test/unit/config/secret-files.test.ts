import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { secretFileVariables, sensitiveKeys, withSecretFiles } from '../../../src/config/secret-files.js';
import { loadConfig } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';
import { isRelayError } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ver-secret-files-'));
function secret(content: string, name = `${Math.random().toString(16).slice(2)}.secret`): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}
function problem(env: NodeJS.ProcessEnv): string {
  try {
    withSecretFiles(env);
  } catch (e) {
    expect(isRelayError(e) && e.code).toBe('CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected the secrets to be refused');
}

describe('sensitiveKeys', () => {
  it('lists every key the schema marks sensitive, with <VAR>_FILE', () => {
    const keys = sensitiveKeys();
    expect(keys).toEqual(expect.arrayContaining([
      { key: 'dmaap.password', env: 'VIM_EVENT_RELAY_DMAAP_PASSWORD', fileEnv: 'VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE' },
      { key: 'admin.authToken', env: 'VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN', fileEnv: 'VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE' },
    ]));
    // Only sensitive keys: a non-secret key has no _FILE twin.
    expect(secretFileVariables()).not.toContain('VIM_EVENT_RELAY_DMAAP_USERNAME_FILE');
    expect(keys.every((k) => k.env.startsWith('VIM_EVENT_RELAY_'))).toBe(true);
  });

  it('follows the schema: a key marked sensitive later is picked up without a change here', () => {
    const schema = { ...configSchema, extra: { url: { doc: 'x', format: String, default: '', env: 'VIM_EVENT_RELAY_EXTRA_URL', sensitive: true } } };
    expect(secretFileVariables(schema)).toContain('VIM_EVENT_RELAY_EXTRA_URL_FILE');
  });
});

describe('withSecretFiles', () => {
  it('reads <VAR>_FILE into <VAR>, trimming trailing newlines only', () => {
    const env = withSecretFiles({
      VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: secret('  pa ss\n\n'),
      VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: secret('tok\r\n'),
    });
    expect(env.VIM_EVENT_RELAY_DMAAP_PASSWORD).toBe('  pa ss');
    expect(env.VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN).toBe('tok');
  });

  it('leaves an env without secret files as it is, and does not change its argument', () => {
    const input = { VIM_EVENT_RELAY_DMAAP_PASSWORD: 'p', OTHER: 'x', VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: '' };
    const env = withSecretFiles(input);
    expect(env).toEqual(input);
    expect(env).not.toBe(input);
  });

  it('refuses <VAR> and <VAR>_FILE both set, naming both, not the values', () => {
    const msg = problem({ VIM_EVENT_RELAY_DMAAP_PASSWORD: 'inline-secret', VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: secret('file-secret') });
    expect(msg).toContain('dmaap.password');
    expect(msg).toContain('VIM_EVENT_RELAY_DMAAP_PASSWORD and VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE');
    expect(msg).not.toMatch(/inline-secret|file-secret/);
  });

  it('names the variable and the file that cannot be read, and an empty file', () => {
    const missing = path.join(dir, 'no-such-file');
    expect(problem({ VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: missing })).toBe(
      `dmaap.password: VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: cannot read ${missing} (ENOENT); mount the secret there or unset VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE`);
    expect(problem({ VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: dir })).toContain('(EISDIR)');
    const empty = secret('\n');
    expect(problem({ VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: empty })).toContain(`VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: ${empty} is empty`);
  });

  it('reports every problem in one go', () => {
    const msg = problem({
      VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: path.join(dir, 'gone'),
      VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN: 'a', VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: secret('b'),
    });
    expect(msg.split('\n')).toHaveLength(2);
  });

  describe('systemd credentials ($CREDENTIALS_DIRECTORY)', () => {
    const creds = mkdtempSync(path.join(tmpdir(), 'ver-creds-'));
    writeFileSync(path.join(creds, 'dmaap.password'), 'from-credential\n');

    it('reads the credential named after the key', () => {
      const env = withSecretFiles({ CREDENTIALS_DIRECTORY: creds });
      expect(env.VIM_EVENT_RELAY_DMAAP_PASSWORD).toBe('from-credential');
      expect(env.VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN).toBeUndefined(); // no such credential: left alone
    });

    it('refuses a credential beside the variable or its _FILE, naming both', () => {
      expect(problem({ CREDENTIALS_DIRECTORY: creds, VIM_EVENT_RELAY_DMAAP_PASSWORD: 'x' }))
        .toBe('dmaap.password: given by both VIM_EVENT_RELAY_DMAAP_PASSWORD and systemd credential dmaap.password; keep one');
      expect(problem({ CREDENTIALS_DIRECTORY: creds, VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: secret('y') }))
        .toContain('VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE and systemd credential dmaap.password');
    });

    it('says which credential is unusable and how to fix the unit', () => {
      const other = mkdtempSync(path.join(tmpdir(), 'ver-creds-'));
      mkdirSync(path.join(other, 'admin.authToken'));
      expect(problem({ CREDENTIALS_DIRECTORY: other })).toContain("systemd credential admin.authToken: cannot read");
      expect(problem({ CREDENTIALS_DIRECTORY: other })).toContain('LoadCredential=admin.authToken:');
    });
  });
});

describe('loadConfig with secret files', () => {
  it('takes the file over the config file, as an env var would', () => {
    const cfgFile = secret(JSON.stringify({ dmaap: { password: 'in-the-file' } }), 'cfg.json');
    const cfg = loadConfig(cfgFile, { VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE: secret('from-secret-file\n') });
    expect(cfg.dmaap.password).toBe('from-secret-file');
  });

  it('refuses a config whose secret file is missing, as CONFIG_INVALID naming the variable', () => {
    const missing = path.join(dir, 'token');
    expect(() => loadConfig(undefined, { VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: missing }))
      .toThrow(`admin.authToken: VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE: cannot read ${missing}`);
  });
});
