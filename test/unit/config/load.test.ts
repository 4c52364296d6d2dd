import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentialWarnings, loadConfig, redactedConfig, resolveConfigPath } from '../../../src/config/load.js';
import { isRelayError } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ver-config-'));
function file(content: unknown): string {
  const f = path.join(dir, `${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}
function problems(content: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(file(content), env);
  } catch (e) {
    expect(isRelayError(e) && e.code).toBe('CONFIG_INVALID');
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the config to be refused');
}

const vim = { id: 'vio-1', transportUrl: 'rabbit://guest:s3cret@127.0.0.1:5672/' };

describe('loadConfig', () => {
  it('gives every key a working default', () => {
    const c = loadConfig(undefined, {});
    expect(c.admin).toEqual({
      host: '127.0.0.1',
      port: 8080,
      authToken: '',
      readToken: '',
      metricsRequireToken: false,
      tls: { certFile: '', keyFile: '', clientCaFile: '' },
      allowUnauthenticated: false,
      bodyLimitBytes: 1048576,
      readiness: 'process',
    });
    expect(c.store.secretKeyFile).toBe('');
    expect(c.dmaap.url).toBe('http://127.0.0.1:3904');
    expect(c.transport.prefetch).toBeGreaterThan(0);
    expect(c.vims).toEqual([]);
  });

  it('loads the shipped config/default.json', () => {
    const c = loadConfig('config/default.json', {});
    expect(c.vims.map((v) => v.id)).toEqual(['vio-1']);
    expect(c.subscriptions.every((s) => s.vimId === 'vio-1')).toBe(true);
  });

  it.each([
    [{ admin: { prot: 1 } }, 'admin.prot: unknown key'],
    [{ bogus: true }, 'bogus: unknown key'],
    [{ admin: { port: 'eighty' } }, 'admin.port'],
    [{ log: { level: 'loud' } }, 'log.level'],
    [{ vims: [{ id: 'bad id!', transportUrl: 'rabbit://h/' }] }, 'vims[0].id'],
    [{ vims: [{ id: 'a', transportUrl: 'http://h/' }] }, 'vims[0].transportUrl'],
    [{ vims: [{ id: 'a', transportUrl: 'rabbit://h/', colour: 'red' }] }, 'vims[0].colour is not a known property'],
    [{ vims: [{ id: 'a', transportUrl: 'amqp://h/?heartbeat_timeout_threshold=1m' }] }, 'vims[0].transportUrl: heartbeat_timeout_threshold "1m" is not a whole number of seconds; write e.g. heartbeat_timeout_threshold=60'],
    [{ vims: [vim, vim] }, 'appears twice'],
    [{ vims: [{ id: 'a', transportUrl: 'rabbit://h/', queue: 'q' }, { id: 'b', transportUrl: 'rabbit://u:p@h:5672/', queue: 'q' }] }, 'vims[1].queue "q" is already the queue of VIM "a" on the same broker and vhost'],
    [{ vims: [{ id: 'a', transportUrl: 'rabbit://h/', queue: 'q' }, { id: 'b', transportUrl: 'rabbit://h/', deadLetterQueue: 'q.dead' }] }, 'vims[1].deadLetterQueue "q.dead" is already the deadLetterQueue of VIM "a"'],
    [{ vims: [vim], subscriptions: [{ id: 's', vimId: 'vio-1', states: ['PWR_OFF'], topic: 'T' }] }, 'subscriptions[0].states: unknown state(s) "PWR_OFF"'],
    [{ vims: [vim], subscriptions: [{ id: 's', vimId: 'vio-2', states: ['DELETE'], topic: 'T' }] }, 'subscriptions[0].vimId: "vio-2" is not among vims'],
    [{ vims: [vim], subscriptions: [{ id: 's', vimId: 'vio-1', states: ['DELETE'] }] }, 'subscriptions[0].topic is required'],
  ])('refuses %j naming the key (%s)', (content, expected) => {
    expect(problems(content).join('\n')).toContain(expected);
  });

  it('puts each problem on its own line', () => {
    expect(problems({ admin: { port: -1, bogus: 1 }, log: { level: 'x' } }).length).toBeGreaterThanOrEqual(3);
  });

  it('never echoes a password from a refused transportUrl', () => {
    const msg = problems({ vims: [{ id: 'a', transportUrl: 'rabbit://u:hunter2@h:99999/' }] }).join('\n');
    expect(msg).toContain('vims[0].transportUrl');
    expect(msg).not.toContain('hunter2');
  });

  it('refuses a file that is not JSON, naming the file', () => {
    expect(problems('{ nope').join('\n')).toMatch(/is not valid JSON/);
  });

  it('lets env vars override the file (JSON for vims)', () => {
    const c = loadConfig(file({ admin: { port: 9000 } }), {
      VIM_EVENT_RELAY_ADMIN_PORT: '9100',
      VIM_EVENT_RELAY_VIMS: JSON.stringify([vim]),
      VIM_EVENT_RELAY_DMAAP_PASSWORD: 'pw-from-env',
    });
    expect(c.admin.port).toBe(9100);
    expect(c.vims[0].id).toBe('vio-1');
    expect(c.dmaap.password).toBe('pw-from-env');
  });

  it('redacts every secret in the effective config', () => {
    const c = loadConfig(file({ vims: [vim], dmaap: { password: 'dm-pass' }, admin: { authToken: 'tok-123' } }), {});
    const text = JSON.stringify(redactedConfig(c));
    for (const secret of ['s3cret', 'dm-pass', 'tok-123']) expect(text).not.toContain(secret);
    expect(text).toContain('guest:***@127.0.0.1');
  });

  it('resolves --config, then $VIM_EVENT_RELAY_CONFIG, then config/default.json', () => {
    expect(resolveConfigPath('a.json', { VIM_EVENT_RELAY_CONFIG: 'b.json' })).toBe('a.json');
    expect(resolveConfigPath(undefined, { VIM_EVENT_RELAY_CONFIG: 'b.json' })).toBe('b.json');
    expect(resolveConfigPath(undefined, {})).toBe('config/default.json');
  });
});

describe('the admin port and the store on a network (check-config reports what start-up would refuse)', () => {
  it('refuses admin.readToken without admin.authToken, whatever admin.host', () => {
    expect(problems({ admin: { readToken: 'read-only-token' } })).toEqual([
      expect.stringMatching(/^admin\.readToken .* is set but admin\.authToken .* is empty.*Set admin\.authToken too$/),
    ]);
  });

  it('names an unreadable admin.tls file and a certificate without its key', () => {
    expect(problems({ admin: { tls: { certFile: path.join(dir, 'none.crt'), keyFile: path.join(dir, 'none.key') } } })).toEqual([
      expect.stringMatching(/^admin\.tls\.certFile \(VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE\): cannot read .*none\.crt \(ENOENT\)/),
      expect.stringMatching(/^admin\.tls\.keyFile \(VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE\): cannot read .*none\.key \(ENOENT\)/),
    ]);
    expect(problems({}, { VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE: path.join(dir, 'x.crt') })).toEqual([
      expect.stringMatching(/^admin\.tls\.keyFile .* is empty; TLS needs both/),
    ]);
  });

  it('names a store.secretKeyFile that is not a key file', () => {
    const keyFile = file('not a key');
    expect(problems({ store: { secretKeyFile: keyFile } })).toEqual([
      expect.stringMatching(/^store\.secretKeyFile .*: line 1 of .* is not "<keyId>:<base64 of 32 bytes>"/),
    ]);
  });
});

describe('files the configuration names', () => {
  const missing = path.join(dir, 'no-such.pem');
  it.each([
    [{ dmaap: { url: 'https://mr:3905', caFile: missing } }, `dmaap.caFile: cannot read ${missing} (ENOENT)`],
    [{ kafka: { brokers: ['k:9093'], ssl: { enabled: true, caFile: missing } } }, `kafka.ssl.caFile: cannot read ${missing} (ENOENT)`],
    [{ ves: { caFile: missing } }, `ves.caFile: cannot read ${missing} (ENOENT)`],
    [
      { vims: [{ id: 'v', transportUrl: `rabbit://h:5671/?ssl=1&ssl_ca_file=${missing}` }] },
      `vims[0].transportUrl: ssl_ca_file "${missing}" from the transport_url cannot be read (ENOENT)`,
    ],
  ])('refuses %j as run would, naming the key and the file', (content, expected) => {
    expect(problems(content).join('\n')).toContain(expected);
  });

  it('takes files that can be read', () => {
    const pem = file('-----BEGIN CERTIFICATE-----\n');
    expect(() => loadConfig(file({ dmaap: { caFile: pem }, ves: { caFile: pem } }), {})).not.toThrow();
  });

  it('warns about dmaap.username without dmaap.password', () => {
    expect(credentialWarnings(loadConfig(file({ dmaap: { username: 'relay' } }), {}))).toEqual([
      expect.stringContaining('dmaap.username is set but dmaap.password is empty'),
    ]);
    expect(credentialWarnings(loadConfig(file({ dmaap: { username: 'relay', password: 'p' } }), {}))).toEqual([]);
  });
});
