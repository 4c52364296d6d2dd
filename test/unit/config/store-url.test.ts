import { loadConfig, redactedConfig } from '../../../src/config/load.js';
import { isRelayError } from '../../../src/errors.js';
import { storeUrlPassword } from '../../../src/store/open.js';
import { redactText } from '../../../src/util/redact.js';

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(undefined, env);
  } catch (e) {
    expect(isRelayError(e) && e.code).toBe('CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('store.url', () => {
  it('is empty by default (the file store) and read from VIM_EVENT_RELAY_STORE_URL', () => {
    expect(loadConfig(undefined, {}).store).toEqual({ path: './data/state.json', url: '', reconcileMs: 5000, timeoutMs: 5000, secretKeyFile: '' });
    const c = loadConfig(undefined, { VIM_EVENT_RELAY_STORE_URL: 'postgres://relay:pw-1@127.0.0.1:5432/relay' });
    expect(c.store.url).toBe('postgres://relay:pw-1@127.0.0.1:5432/relay');
  });

  it.each([
    ['mysql://relay:pw-2@127.0.0.1/relay', /store\.url \(from VIM_EVENT_RELAY_STORE_URL\): must be a postgres:\/\/ or postgresql:\/\/ URL/],
    ['postgres://relay:pw-2@127.0.0.1:5432', /store\.url \(from VIM_EVENT_RELAY_STORE_URL\): must name the database/],
    ['not a url pw-2', /store\.url \(from VIM_EVENT_RELAY_STORE_URL\): must be a postgres:\/\/ URL/],
  ])('refuses %s, naming the key and never the password', (url, why) => {
    const m = refusal({ VIM_EVENT_RELAY_STORE_URL: url });
    expect(m).toMatch(why);
    expect(m).not.toContain('pw-2');
  });

  it('check-config and logs mask its password, in the userinfo or as a query option', () => {
    const c = loadConfig(undefined, { VIM_EVENT_RELAY_STORE_URL: 'postgresql://relay:p%40ss-3@db.example:5432/relay?sslmode=require' });
    expect(redactedConfig(c).store.url).toBe('postgresql://relay:***@db.example:5432/relay?sslmode=require');
    expect(redactText('postgres://relay@127.0.0.1/relay?password=pw-4&sslpassword=pw-5')).toBe('postgres://relay@127.0.0.1/relay?password=***&sslpassword=***');
    expect(redactText('store at postgres://relay:unencoded@at@127.0.0.1/relay down')).toBe('store at postgres://relay:***@127.0.0.1/relay down');
  });

  it('storeUrlPassword gives the decoded password for the logger to mask wherever it appears', () => {
    expect(storeUrlPassword('postgres://relay:p%40ss@127.0.0.1/relay')).toBe('p@ss');
    expect(storeUrlPassword('')).toBe('');
    expect(storeUrlPassword('postgres://127.0.0.1/relay')).toBe('');
  });
});
