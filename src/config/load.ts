/**
 * Loading order: --config FILE, then $VIM_EVENT_RELAY_CONFIG, then config/default.json; env
 * vars override file values (convict). Unknown keys are an error. Each problem comes back on
 * its own line, naming the key and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import convict from 'convict';
import { configSchema } from './schema.js';
import { redactDeep, redactText } from '../util/redact.js';
import { RelayError } from '../errors.js';
import type { VimSpec } from './vim.js';
import type { Subscription } from '../filter/types.js';
import type { VesConfig } from '../ves/index.js';

export interface RelayConfig {
  admin: { host: string; port: number; authToken: string; bodyLimitBytes: number };
  dmaap: { url: string; username: string; password: string; caFile: string; timeoutMs: number };
  publish: {
    batchMaxMessages: number; batchMaxBytes: number; lingerMs: number; maxInFlightRequests: number;
    retryInitialMs: number; retryMaxMs: number; maxRetryMs: number;
  };
  ves: VesConfig;
  transport: { prefetch: number; reconnectInitialMs: number; reconnectMaxMs: number; heartbeatSeconds: number; maxBodyBytes: number };
  store: { path: string };
  log: { level: string; format: 'json' | 'pretty' | 'auto' };
  shutdown: { timeoutMs: number };
  dedupe: { windowSize: number };
  recent: { windowSize: number };
  vims: VimSpec[];
  subscriptions: Subscription[];
}

export const DEFAULT_CONFIG_FILE = 'config/default.json';

export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.VIM_EVENT_RELAY_CONFIG ?? DEFAULT_CONFIG_FILE;
}

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) {
    throw new RelayError('CONFIG_INVALID', `config file ${file} does not exist; pass --config FILE or set VIM_EVENT_RELAY_CONFIG`);
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level must be a JSON object');
    return parsed as Record<string, unknown>;
  } catch (e) {
    throw new RelayError('CONFIG_INVALID', `config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** convict's messages, one per line, each naming the key and saying what to do. */
function explain(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const undeclared = /^configuration param '([^']+)' not declared in the schema$/.exec(l);
      if (undeclared) return `${undeclared[1]}: unknown key; remove it (see README "Configuration" for the keys)`;
      // Our list validators already name the item (vims[0].id: ...); convict prefixes the key again.
      // convict appends the raw value (": value was ..."), which may hold a password: drop it.
      return l.replace(/^(vims|subscriptions): (?=\1\[)/, '').replace(/: value was .*$/s, '');
    })
    .map((l) => redactText(l))
    .join('\n');
}

export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const c = convict(configSchema, { env, args: [] });
  if (file !== undefined) c.load(readConfigFile(file));
  try {
    c.validate({ allowed: 'strict' });
  } catch (e) {
    throw new RelayError('CONFIG_INVALID', explain((e as Error).message));
  }
  const cfg = c.getProperties() as unknown as RelayConfig;
  const vimIds = new Set(cfg.vims.map((v) => v.id));
  const orphans = cfg.subscriptions
    .map((s, i) => (vimIds.has(s.vimId) ? '' : `subscriptions[${i}].vimId: "${s.vimId}" is not among vims; add that VIM or fix the id`))
    .filter(Boolean);
  if (orphans.length) throw new RelayError('CONFIG_INVALID', orphans.join('\n'));
  return cfg;
}

/** The effective config with every secret masked: for check-config and the start-up log. */
export function redactedConfig(cfg: RelayConfig): RelayConfig {
  return redactDeep(cfg);
}
