/** The store's secret codec: the key file's format, sealing and opening, and what it refuses. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeyFile, secretKeyFileProblems } from '../../../src/config/secret-key-file.js';
import { CLEAR_CODEC, createSecretCodec, openState, sealState, staleSecrets } from '../../../src/store/secret-codec.js';
import { emptyState } from '../../../src/store/state.js';

const dir = mkdtempSync(join(tmpdir(), 'secret-codec-'));
const keyLine = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
function keyFile(...lines: string[]): string {
  const f = join(dir, `${Math.random().toString(16).slice(2)}.key`);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

const URL_ = 'rabbit://nova:Pa55-word@10.0.0.5:5672,nova:Pa55-word@10.0.0.6:5672/nova';
const vim = { id: 'vio-1', transportUrl: URL_ };
const agent = {
  ves_subscription: { endpoint: 'http://ves:8080/eventListener/v7', username: 'ves', password: 'ves-Pa55' },
  backlogs: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the key file', () => {
  it('takes one key a line, the first encrypting, comments and blank lines skipped', () => {
    const { ring, problems } = parseKeyFile(`# rolled 2026-12\n${keyLine('k2')}\n\n${keyLine('k1')}\n`, 'f');
    expect(problems).toEqual([]);
    expect(ring?.currentId).toBe('k2');
    expect([...ring!.keys.keys()]).toEqual(['k2', 'k1']);
  });

  it.each([
    [
      'a key of 16 bytes',
      `k1:${randomBytes(16).toString('base64')}`,
      /line 1 of f is not "<keyId>:<base64 of 32 bytes>".*openssl rand -base64 32/,
    ],
    ['no key id', randomBytes(32).toString('base64'), /line 1 of f is not/],
    ['a key id twice', `${keyLine('k1')}\n${keyLine('k1')}`, /key id "k1" appears twice/],
    ['nothing but comments', '# none yet', /f holds no key/],
  ])('refuses %s, naming store.secretKeyFile and the fix, never the key', (_n, text, message) => {
    const { ring, problems } = parseKeyFile(text, 'f');
    expect(ring).toBeUndefined();
    expect(problems.join('\n')).toMatch(message);
    expect(problems.join('\n')).toMatch(/^store\.secretKeyFile \(VIM_EVENT_RELAY_STORE_SECRET_KEY_FILE\)/);
    for (const part of text.split(/[:\n]/)) if (part.length > 20) expect(problems.join('\n')).not.toContain(part);
  });

  it('is reported missing by the config check, and not at all when unset', () => {
    expect(secretKeyFileProblems(join(dir, 'nope'))).toEqual([
      expect.stringMatching(/cannot read .*nope \(ENOENT\); mount the key file there or fix the path/),
    ]);
    expect(secretKeyFileProblems('')).toEqual([]);
  });
});

describe('sealing', () => {
  const codec = createSecretCodec(keyFile(keyLine('k1')));

  it('seals the transport URL and the VES password, leaves the rest, and opens them again', () => {
    const sealed = codec.seal('vims', 'vio-1', vim);
    expect(sealed.id).toBe('vio-1');
    expect(sealed.transportUrl).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(sealed)).not.toContain('Pa55');
    expect(codec.open('vims', 'vio-1', sealed)).toEqual(vim);
    const a = codec.seal('vesAgents', 'vio-1', agent);
    expect(a.ves_subscription).toMatchObject({ endpoint: agent.ves_subscription.endpoint, username: 'ves' });
    expect(JSON.stringify(a)).not.toContain('ves-Pa55');
    expect(codec.open('vesAgents', 'vio-1', a)).toEqual(agent);
  });

  it('gives two seals of one value different texts (a fresh IV each)', () => {
    expect(codec.seal('vims', 'vio-1', vim).transportUrl).not.toBe(codec.seal('vims', 'vio-1', vim).transportUrl);
  });

  it('binds a sealed value to its row: copied into another VIM it does not open', () => {
    const sealed = codec.seal('vims', 'vio-1', vim);
    expect(() => codec.open('vims', 'vio-2', sealed)).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
  });

  it('reads a value in clear as it is (a store from before the key), and counts it stale', () => {
    expect(codec.open('vims', 'vio-1', vim)).toEqual(vim);
    const state = { ...emptyState(), vims: [vim] };
    expect(staleSecrets(state, codec)).toBe(1);
    expect(staleSecrets(sealState(state, codec), codec)).toBe(0);
  });

  it('needs the key that sealed a value: none set, or not in the file, is CONFIG_INVALID naming the fix', () => {
    const sealed = codec.seal('vims', 'vio-1', vim);
    expect(() => CLEAR_CODEC.open('vims', 'vio-1', sealed)).toThrow(
      /key "k1" \(vims vio-1\) but store\.secretKeyFile is empty/,
    );
    const other = createSecretCodec(keyFile(keyLine('k2')));
    expect(() => other.open('vims', 'vio-1', sealed)).toThrow(/which .* does not have; add that key's line back/);
    // Same id, other bytes: the tag does not verify.
    const impostor = createSecretCodec(keyFile(keyLine('k1')));
    expect(() => impostor.open('vims', 'vio-1', sealed)).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
  });

  it('opens what an older key sealed once a new key is first in the file, and calls it stale', () => {
    const k1 = keyLine('k1');
    const old = createSecretCodec(keyFile(k1));
    const rolled = createSecretCodec(keyFile(keyLine('k2'), k1));
    const state = { ...emptyState(), vims: [vim] };
    const sealedOld = sealState(state, old);
    expect(openState(sealedOld, rolled)).toEqual(state);
    expect(staleSecrets(sealedOld, rolled)).toBe(1);
    expect(staleSecrets(sealState(state, rolled), rolled)).toBe(0);
  });

  it('without a key writes the state as it is', () => {
    const state = { ...emptyState(), vims: [vim] };
    expect(sealState(state, CLEAR_CODEC)).toBe(state);
  });
});
