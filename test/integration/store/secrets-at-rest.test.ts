/**
 * Secrets at rest, on both engines: with store.secretKeyFile, the state file and the PostgreSQL
 * tables read back hold no password; a store written in clear still opens and is sealed as it
 * is written; a key is rolled with reencrypt-store; the relay itself sees plaintext throughout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseCli } from '../../../src/cli/args.js';
import { reencryptStore } from '../../../src/cli/reencrypt-store.js';
import { openStore, type StoreConfig } from '../../../src/store/open.js';
import { readStore } from '../../../src/store/read-only.js';
import type { RelayStore } from '../../../src/store/store.js';
import { capturedLogger, createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const BROKER_PASSWORD = 'Br0ker-Pa55word';
const VES_PASSWORD = 'Ves-C0llector-Pa55';
const TRANSPORT_URL = `rabbit://nova:${BROKER_PASSWORD}@10.0.0.5:5672,nova:${BROKER_PASSWORD}@10.0.0.6:5672/nova`;
const seed = { vims: [{ id: 'vio-1', transportUrl: TRANSPORT_URL }], subscriptions: [] };
const AGENT = {
  ves_subscription: { endpoint: 'http://ves:8080/eventListener/v7', username: 'ves', password: VES_PASSWORD },
  backlogs: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const dir = mkdtempSync(join(tmpdir(), 'secrets-at-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = capturedLogger();
const keyLine = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
const cfgOf = (store: Partial<StoreConfig['store']>): StoreConfig => ({
  store: { path: '', url: '', reconcileMs: 5000, timeoutMs: 2000, ...store },
  recent: { windowSize: 10 },
});

async function addVesAgentAndVim(store: RelayStore): Promise<void> {
  await store.update((s) => {
    s.vesAgents['vio-1'] = AGENT;
    s.vims.push({ id: 'vio-2', transportUrl: 'amqps://relay:Sec0nd-Pa55@10.0.0.7:5671' });
  });
}

function expectPlaintext(store: RelayStore): void {
  expect(store.get().vims[0].transportUrl).toBe(TRANSPORT_URL);
  expect(store.get().vims[1].transportUrl).toBe('amqps://relay:Sec0nd-Pa55@10.0.0.7:5671');
  expect(store.get().vesAgents['vio-1']).toEqual(AGENT);
}

async function reencrypt(config: object): Promise<{ code: number; out: string; err: string }> {
  const file = write(`config-${Math.random().toString(16).slice(2)}.json`, JSON.stringify(config));
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (b: Buffer) => (o += b.toString()));
  err.on('data', (b: Buffer) => (e += b.toString()));
  const code = await reencryptStore(parseCli(['reencrypt-store', '--config', file]), out, err, {});
  return { code, out: o, err: e };
}

describe('the file store', () => {
  it('holds no password in the file, and gives plaintext to the relay', async () => {
    const secretKeyFile = write('file-k1.key', `${keyLine('k1')}\n`);
    const path = join(dir, 'sealed', 'state.json');
    const cfg = cfgOf({ path, secretKeyFile });
    const { store } = await openStore(cfg, seed, log.logger);
    await addVesAgentAndVim(store);
    expectPlaintext(store);
    await store.close();
    const text = readFileSync(path, 'utf8');
    for (const secret of [BROKER_PASSWORD, VES_PASSWORD, 'Sec0nd-Pa55']) expect(text).not.toContain(secret);
    expect(text).toContain('"transportUrl": "enc:v1:k1:');
    const again = await openStore(cfg, seed, log.logger);
    expectPlaintext(again.store);
    await again.store.close();
    // The commands that only read the store (replay, explain, deadletters) open the secrets too.
    expect((await readStore(cfg))?.state.vims[0].transportUrl).toBe(TRANSPORT_URL);
    await expect(openStore(cfgOf({ path }), seed, log.logger)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('store.secretKeyFile is empty'),
    });
  });

  it('opens a store written in clear and seals it on the next write; reencrypt-store rolls the key', async () => {
    const path = join(dir, 'clear', 'state.json');
    const clear = await openStore(cfgOf({ path }), seed, log.logger);
    await addVesAgentAndVim(clear.store);
    await clear.store.close();
    expect(readFileSync(path, 'utf8')).toContain(BROKER_PASSWORD);

    const k1 = keyLine('k1');
    const keyed = await openStore(cfgOf({ path, secretKeyFile: write('clear-k1.key', k1) }), seed, log.logger);
    expectPlaintext(keyed.store);
    await keyed.store.update((s) => void (s.subscriptions = []));
    await keyed.store.close();
    expect(readFileSync(path, 'utf8')).not.toContain(BROKER_PASSWORD);

    const k2 = keyLine('k2');
    const rolled = write('clear-k2.key', `${k2}\n${k1}\n`);
    const r = await reencrypt({ store: { path, secretKeyFile: rolled } });
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('3 secret(s) re-encrypted under key "k2"');
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('enc:v1:k1:');
    expect(text).toContain('enc:v1:k2:');
    // The old key can go now.
    const k2only = write('clear-k2-only.key', k2);
    const reopened = await openStore(cfgOf({ path, secretKeyFile: k2only }), seed, log.logger);
    expectPlaintext(reopened.store);
    await reopened.store.close();
  });
});

describe('the PostgreSQL store', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  const tables = async (): Promise<string> => {
    const vims = await db.query<{ v: string }>('SELECT value::text AS v FROM relay_vims');
    const agents = await db.query<{ v: string }>('SELECT value::text AS v FROM relay_ves_agents');
    return [...vims.rows, ...agents.rows].map((r) => r.v).join('\n');
  };

  it('holds no password in its tables, and gives plaintext to every replica', async () => {
    const secretKeyFile = write('pg-k1.key', `${keyLine('k1')}\n`);
    const cfg = cfgOf({ url: db.url, secretKeyFile });
    const a = await openStore(cfg, seed, log.logger);
    const b = await openStore(cfg, seed, log.logger);
    try {
      await addVesAgentAndVim(a.store);
      expectPlaintext(a.store);
      const text = await tables();
      for (const secret of [BROKER_PASSWORD, VES_PASSWORD, 'Sec0nd-Pa55']) expect(text).not.toContain(secret);
      expect(text).toContain('"transportUrl": "enc:v1:k1:');
      // The other replica hears of the change and reads it through the same key.
      await b.store.update((s) => void (s.subscriptions = []));
      expectPlaintext(b.store);
      expect((await readStore(cfg))?.state.vims[0].transportUrl).toBe(TRANSPORT_URL);
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });

  it('seals rows written in clear with reencrypt-store, and rolls a key', async () => {
    const clear = await openStore(cfgOf({ url: db.url }), seed, log.logger);
    await addVesAgentAndVim(clear.store);
    await clear.store.close();
    expect(await tables()).toContain(BROKER_PASSWORD);

    const k1 = keyLine('k1');
    const first = await reencrypt({ store: { url: db.url, secretKeyFile: write('pg-clear-k1.key', k1) } });
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('3 row(s) re-encrypted under key "k1"');
    expect(first.out).not.toContain('pg-s3cret');
    const sealed = await tables();
    for (const secret of [BROKER_PASSWORD, VES_PASSWORD, 'Sec0nd-Pa55']) expect(sealed).not.toContain(secret);

    const k2 = keyLine('k2');
    const rolled = await reencrypt({ store: { url: db.url, secretKeyFile: write('pg-k2.key', `${k2}\n${k1}\n`) } });
    expect(rolled.out).toContain('3 row(s) re-encrypted under key "k2"');
    expect(await tables()).not.toContain('enc:v1:k1:');
    const reopened = await openStore(
      cfgOf({ url: db.url, secretKeyFile: write('pg-k2-only.key', k2) }),
      seed,
      log.logger,
    );
    expectPlaintext(reopened.store);
    await reopened.store.close();
  });
});
