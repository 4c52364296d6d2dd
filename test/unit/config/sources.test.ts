/**
 * Where a value came from matters: an env var is named when its value is wrong, numbers must be
 * numbers, an unknown VIM_EVENT_RELAY_* variable is warned about, every problem comes in one run,
 * and an admin port open to the network needs a token.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { configWarnings, loadConfig } from '../../../src/config/load.js';
import { checkConfig } from '../../../src/cli/check-config.js';
import { parseCli } from '../../../src/cli/args.js';
import { seedDrift } from '../../../src/config/sources.js';
import { isRelayError } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ver-sources-'));
function file(content: unknown): string {
  const f = path.join(dir, `${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(content));
  return f;
}
function problems(content: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(content === undefined ? undefined : file(content), env);
  } catch (e) {
    expect(isRelayError(e) && e.code).toBe('CONFIG_INVALID');
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the config to be refused');
}

const vim = { id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' };

describe('values of the wrong kind', () => {
  it.each([
    [{ publish: { lingerMs: '5' } }, {}, 'publish.lingerMs: must be a number, not "5"; write it without quotes'],
    [{ admin: { port: '8080' } }, {}, 'admin.port: must be a number, not "8080"'],
    [{ admin: { allowUnauthenticated: 'yes' } }, {}, 'admin.allowUnauthenticated: must be a boolean, not "yes"'],
    [{}, { VIM_EVENT_RELAY_PUBLISH_LINGER_MS: '5ms' }, 'publish.lingerMs (from VIM_EVENT_RELAY_PUBLISH_LINGER_MS): "5ms" is not a whole number'],
    [{}, { VIM_EVENT_RELAY_ADMIN_PORT: '80.5' }, 'admin.port (from VIM_EVENT_RELAY_ADMIN_PORT): "80.5" is not a whole number'],
    [{}, { VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED: 'yes' }, 'admin.allowUnauthenticated (from VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED): "yes" is not true or false'],
  ])('refuses %j %j', (content, env, expected) => {
    expect(problems(content, env)).toContainEqual(expect.stringContaining(expected));
  });

  it('still reads digits from the environment', () => {
    expect(loadConfig(undefined, { VIM_EVENT_RELAY_PUBLISH_LINGER_MS: '7' }).publish.lingerMs).toBe(7);
  });
});

describe('a problem in an env var names the variable, not the file', () => {
  it('VIM_EVENT_RELAY_VIMS with a bad item', () => {
    const lines = problems({}, { VIM_EVENT_RELAY_VIMS: JSON.stringify([{ id: 'a', transportUrl: 'http://h/' }]) });
    expect(lines).toEqual([expect.stringMatching(/^vims\[0\]\.transportUrl \(from VIM_EVENT_RELAY_VIMS\) "http:\/\/h\/" does not match/)]);
  });

  it('VIM_EVENT_RELAY_VIMS that is not JSON, without quoting it', () => {
    const lines = problems({}, { VIM_EVENT_RELAY_VIMS: '[{"id": "a", "transportUrl": "rabbit://u:Pw123456' });
    expect(lines[0]).toMatch(/^vims \(from VIM_EVENT_RELAY_VIMS\): not valid JSON/);
    expect(lines.join('\n')).not.toContain('Pw123456');
  });

  it('a subscription from the env for a VIM from the file', () => {
    const lines = problems({ vims: [vim] }, { VIM_EVENT_RELAY_SUBSCRIPTIONS: JSON.stringify([{ id: 's', vimId: 'nope', states: ['DELETE'], topic: 'T' }]) });
    expect(lines).toEqual(['subscriptions[0].vimId (from VIM_EVENT_RELAY_SUBSCRIPTIONS): "nope" is not among vims; add that VIM or fix the id']);
  });
});

it('reports every problem in one run, schema and cross-references alike, in one path notation', () => {
  const lines = problems({
    admin: { port: 'x' },
    log: { level: 'loud' },
    vims: [{ id: 'a', transportUrl: 'rabbit://h:99999/', colour: 1 }],
    subscriptions: [{ id: 's', vimId: 'zz', states: ['DELETE', 'MELT'], topic: 'T', extra: 1 }],
  });
  for (const expected of [
    'admin.port: must be a number',
    'log.level',
    'vims[0].colour is not a known property',
    'vims[0].transportUrl: port "99999" of host h',
    'subscriptions[0].extra is not a known property',
    'subscriptions[0].states: unknown state(s) "MELT"',
    'subscriptions[0].vimId: "zz" is not among vims',
  ]) expect(lines.some((l) => l.startsWith(expected))).toBe(true);
  for (const l of lines) expect(l).not.toMatch(/\w\/\w/);
});

describe('unknown VIM_EVENT_RELAY_* variables', () => {
  it('are warned about, naming the closest known one', () => {
    expect(configWarnings({ VIM_EVENT_RELAY_PUBLISH_LINGER: '5', VIM_EVENT_RELAY_ADMIN_PORT: '1', PATH: '/bin' })).toEqual([
      'VIM_EVENT_RELAY_PUBLISH_LINGER is not a known variable and is ignored; did you mean VIM_EVENT_RELAY_PUBLISH_LINGER_MS? (README "Configuration" lists them)',
    ]);
    expect(configWarnings({ VIM_EVENT_RELAY_CONFIG: 'x.json' })).toEqual([]);
  });

  it('check-config prints the warning on stderr and still succeeds', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    err.on('data', (b: Buffer) => (text += b.toString()));
    out.resume();
    expect(await checkConfig(parseCli(['check-config', '--config', file({})]), out, err, { VIM_EVENT_RELAY_DMAAP_ULR: 'http://x' })).toBe(0);
    expect(text).toContain('warning: VIM_EVENT_RELAY_DMAAP_ULR is not a known variable and is ignored; did you mean VIM_EVENT_RELAY_DMAAP_URL?');
  });
});

describe('an admin port reachable from the network', () => {
  it.each([
    [{ admin: { host: '0.0.0.0' } }, {}],
    [{}, { VIM_EVENT_RELAY_ADMIN_HOST: '10.1.2.3' }],
    [{ admin: { host: '::' } }, {}],
  ])('without a token is refused, naming both keys and their variables: %j %j', (content, env) => {
    const msg = problems(content, env).join('\n');
    for (const s of ['admin.host', 'VIM_EVENT_RELAY_ADMIN_HOST', 'admin.authToken', 'VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN', 'admin.allowUnauthenticated', 'VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED']) {
      expect(msg).toContain(s);
    }
  });

  it.each([
    [{ admin: { host: '0.0.0.0', authToken: 't0ken-value' } }, {}],
    [{ admin: { host: '0.0.0.0' } }, { VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN: 't0ken-value' }],
    [{ admin: { host: '0.0.0.0', allowUnauthenticated: true } }, {}],
    [{ admin: { host: '0.0.0.0' } }, { VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED: 'true' }],
    [{ admin: { host: '127.0.0.1' } }, {}],
    [{ admin: { host: '::1' } }, {}],
    [{ admin: { host: 'localhost' } }, {}],
  ])('is accepted with a token, the explicit opt-in, or on loopback: %j %j', (content, env) => {
    expect(() => loadConfig(file(content), env)).not.toThrow();
  });
});

describe('seedDrift', () => {
  const vim = (id: string, host = 'h1') => ({ id, transportUrl: `rabbit://${host}:5672/` });
  const none = { vims: [], subscriptions: [] };
  it('names a VIM whose transportUrl the variable corrected, and nothing when the variable is unset or agrees', () => {
    const stored = { vims: [vim('a'), vim('b')], subscriptions: [] };
    const given = { vims: [vim('a'), vim('b', 'h2')], subscriptions: [] };
    const [d] = seedDrift({ VIM_EVENT_RELAY_VIMS: '[]' }, given, stored, 'the store (x)');
    expect(d).toMatchObject({ variable: 'VIM_EVENT_RELAY_VIMS', onlyInVariable: [], onlyInStore: [], changed: ['b'] });
    expect(d.message).toContain('run --reseed');
    expect(seedDrift({}, given, stored, 'the store (x)')).toEqual([]);
    expect(seedDrift({ VIM_EVENT_RELAY_VIMS: '[]' }, stored, stored, 'the store (x)')).toEqual([]);
    expect(seedDrift({ VIM_EVENT_RELAY_SUBSCRIPTIONS: '[]' }, none, none, 'the store (x)')).toEqual([]);
  });
});
