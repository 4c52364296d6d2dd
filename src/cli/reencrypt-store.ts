/**
 * `reencrypt-store`: writes every secret of the store again under the current key of
 * store.secretKeyFile (its first line), so that an older key can then be removed from the file.
 * Secrets still in clear (a store from before the key was set) are encrypted too. The file
 * store is rewritten whole (atomically); on PostgreSQL only the rows that need it, each
 * conditional on its version, while replicas keep running.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { loadConfig, resolveConfigPath, type RelayConfig } from '../config/load.js';
import { storeCodec } from '../store/open.js';
import { clientConfig } from '../store/pg/open.js';
import { resealRows } from '../store/pg/tables.js';
import { staleSecrets, type SecretCodec } from '../store/secret-codec.js';
import { StateFile } from '../store/state-file.js';
import { redactText } from '../util/redact.js';
import type { CliArgs } from './args.js';

async function resealFile(cfg: RelayConfig, codec: SecretCodec): Promise<string> {
  const path = cfg.store.path;
  if (!existsSync(path)) throw new Error(`store.path ${path} does not exist; there is nothing to re-encrypt`);
  // Counted before opening: opening reads every secret (and fails, naming the key, if one cannot be decrypted).
  const stale = staleSecrets(JSON.parse(readFileSync(path, 'utf8')), codec);
  const { store } = await StateFile.open(path, { vims: [], subscriptions: [] }, codec);
  // An update that changes nothing still writes the whole state, sealed under the current key.
  await store.update(() => undefined);
  await store.flush();
  return `${path}: ${stale} secret(s) re-encrypted under key "${codec.currentId ?? ''}"`;
}

async function resealPg(cfg: RelayConfig, codec: SecretCodec): Promise<string> {
  const client = new pg.Client(clientConfig({ url: cfg.store.url, connectTimeoutMs: cfg.store.timeoutMs }));
  await client.connect();
  try {
    const { resealed, conflicts } = await resealRows(client, codec, 'reencrypt-store');
    const again = conflicts ? `; ${conflicts} row(s) changed meanwhile: run the command again` : '';
    return `${redactText(cfg.store.url)}: ${resealed} row(s) re-encrypted under key "${codec.currentId ?? ''}"${again}`;
  } finally {
    await client.end();
  }
}

export async function reencryptStore(
  args: CliArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    const cfg = loadConfig(resolveConfigPath(args.config, env), env);
    if (!cfg.store.secretKeyFile) {
      err.write(
        'store.secretKeyFile (VIM_EVENT_RELAY_STORE_SECRET_KEY_FILE) is empty; set it to the key file to encrypt with\n',
      );
      return 1;
    }
    const codec = storeCodec(cfg);
    out.write(`${cfg.store.url ? await resealPg(cfg, codec) : await resealFile(cfg, codec)}\n`);
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    err.write(
      `reencrypt-store failed${typeof code === 'string' ? ` (${code})` : ''}: ${redactText((e as Error).message)}\n`,
    );
    return 1;
  }
}
