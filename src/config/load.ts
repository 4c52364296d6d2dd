/**
 * Loading order: --config FILE, then $VIM_EVENT_RELAY_CONFIG, then config/default.json; env
 * vars override file values (convict). Unknown keys are an error. Each problem comes back on
 * its own line, naming the key and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import convict from 'convict';
import { configSchema, KEY_ALIASES } from './schema.js';
import { withSecretFiles } from './secret-files.js';
import { redactDeep, redactText } from '../util/redact.js';
import { RelayError } from '../errors.js';
import type { VimSpec } from './vim.js';
import type { Subscription } from '../model/subscription.js';
import { checkSources, envSources, unknownEnvWarnings } from './sources.js';
import { fileProblems } from './file-checks.js';

export { credentialWarnings } from './file-checks.js';
import { kafkaConfigProblems, type KafkaConfig } from '../publish/kafka/config.js';
import { tlsConfigProblems, type AdminTlsConfig } from './admin-tls.js';
import { secretKeyFileProblems } from './secret-key-file.js';

/** The ves.* config keys (RelayConfig['ves']). */
export interface VesConfig {
  readonly timeoutMs: number;
  readonly caFile: string;
  readonly batchMaxMessages: number;
  readonly batchMaxBytes: number;
  readonly lingerMs: number;
  readonly maxInFlightRequests: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly maxRetryMs: number;
  readonly vimUnreachableAfterMs: number;
}

/** admin.readiness: "process" judges the process alone, "strict" its VIMs and destinations too. */
export type ReadinessMode = 'process' | 'strict';

export interface RelayConfig {
  admin: {
    host: string; port: number; authToken: string; readToken: string; metricsRequireToken: boolean;
    tls: AdminTlsConfig; allowUnauthenticated: boolean; bodyLimitBytes: number; readiness: ReadinessMode;
  };
  dmaap: { url: string; username: string; password: string; caFile: string; timeoutMs: number };
  sinks: { default: 'dmaap' | 'kafka' };
  publish: {
    batchMaxMessages: number; batchMaxBytes: number; lingerMs: number; maxInFlightRequests: number;
    retryInitialMs: number; retryMaxMs: number; maxRetryMs: number; maxPending: number;
  };
  kafka: KafkaConfig;
  ves: VesConfig;
  transport: {
    prefetch: number; reconnectInitialMs: number; reconnectMaxMs: number; heartbeatSeconds: number; maxBodyBytes: number;
    connectTimeoutMs: number; maxConcurrentConnects: number;
  };
  store: { path: string; url: string; reconcileMs: number; timeoutMs: number; secretKeyFile: string };
  monitor: { backlogIntervalMs: number };
  messages: { errorFault: boolean };
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

/** The file's key names onto the schema's (KEY_ALIASES), in place; a schema name written in the file stays and is refused as unknown. */
function toSchemaKeys(cfg: Record<string, unknown>): Record<string, unknown> {
  for (const [fileKey, schemaKey] of Object.entries(KEY_ALIASES)) {
    const [group, name] = fileKey.split('.') as [string, string];
    const node = cfg[group];
    if (!node || typeof node !== 'object' || Array.isArray(node) || !(name in node)) continue;
    const n = node as Record<string, unknown>;
    const target = schemaKey.split('.')[1];
    if (target in n) continue;
    n[target] = n[name];
    delete n[name];
  }
  return cfg;
}

/** The schema's key names back to the file's, in a message. */
function toFileKeys(line: string): string {
  let out = line;
  for (const [fileKey, schemaKey] of Object.entries(KEY_ALIASES)) out = out.split(schemaKey).join(fileKey);
  return out;
}

/** convict's messages, one per line, each naming the key and saying what to do. */
function explain(message: string): string[] {
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
    });
}

/** "vims[0].id must be ..." becomes "vims[0].id (from VIM_EVENT_RELAY_VIMS) must be ..." when the env gave vims. */
function attribute(line: string, sources: Map<string, string>): string {
  for (const [key, env] of sources) {
    if (!line.startsWith(key) || !/^[.[: ]/.test(line.slice(key.length))) continue;
    if (line.includes(`(from ${env})`)) return line;
    const end = line.search(/[ :]/);
    return end < 0 ? `${line} (from ${env})` : `${line.slice(0, end)} (from ${env})${line.slice(end)}`;
  }
  return line;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1)$/i;

/** Whether an admin.host is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/** An admin port reachable from other machines needs a token, or the operator's explicit word. */
function exposureProblem(admin: Partial<RelayConfig['admin']> | undefined): string[] {
  if (admin?.readToken && !admin.authToken)
    return [
      'admin.readToken (VIM_EVENT_RELAY_ADMIN_READ_TOKEN) is set but admin.authToken (VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN) is empty: changes would need no token at all. Set admin.authToken too',
    ];
  if (!admin || typeof admin.host !== 'string' || isLoopbackHost(admin.host)) return [];
  if (admin.authToken || admin.allowUnauthenticated === true) return [];
  return [
    `admin.host (VIM_EVENT_RELAY_ADMIN_HOST) is "${admin.host}", reachable from other machines, and admin.authToken (VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN) is empty: ` +
      'anyone reaching the port could register or delete VIMs. Set admin.authToken, or bind admin.host to 127.0.0.1, or, to run without a token ' +
      'on purpose, set admin.allowUnauthenticated (VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED) to true',
  ];
}

/** Kafka as a sink needs brokers: sinks.default or a seeded subscription naming kafka without kafka.brokers. */
function sinkProblems(cfg: Pick<RelayConfig, 'sinks' | 'kafka' | 'subscriptions'>): string[] {
  if (!cfg.kafka || !Array.isArray(cfg.kafka.brokers) || cfg.kafka.brokers.length > 0) return [];
  const fix = 'set kafka.brokers (VIM_EVENT_RELAY_KAFKA_BROKERS), or use sink "dmaap"';
  const problems = cfg.sinks?.default === 'kafka' ? [`sinks.default (VIM_EVENT_RELAY_SINKS_DEFAULT) is "kafka" but kafka.brokers is empty; ${fix}`] : [];
  (Array.isArray(cfg.subscriptions) ? cfg.subscriptions : []).forEach((s, i) => {
    if ((s as { sink?: unknown } | undefined)?.sink === 'kafka') problems.push(`subscriptions[${i}].sink is "kafka" but kafka.brokers is empty; ${fix}`);
  });
  return problems;
}

/** Cross-references, checked even when other keys are wrong so that one run reports everything. */
function orphanProblems(vims: unknown, subscriptions: unknown): string[] {
  if (!Array.isArray(vims) || !Array.isArray(subscriptions)) return [];
  const vimIds = new Set(vims.map((v) => (v && typeof v === 'object' ? (v as { id?: unknown }).id : undefined)));
  return subscriptions.flatMap((s: unknown, i) => {
    const vimId = s && typeof s === 'object' ? (s as { vimId?: unknown }).vimId : undefined;
    return typeof vimId === 'string' && !vimIds.has(vimId) ? [`subscriptions[${i}].vimId: "${vimId}" is not among vims; add that VIM or fix the id`] : [];
  });
}

/**
 * The configuration, or RelayError CONFIG_INVALID listing every problem at once (one a line,
 * secrets redacted, an env-given value naming its variable).
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  // <VAR>_FILE and systemd credentials become <VAR> (src/config/secret-files.ts).
  const withSecrets = withSecretFiles(env);
  const fromFile = file === undefined ? undefined : toSchemaKeys(readConfigFile(file));
  const sources = envSources(withSecrets);
  const checked = checkSources(fromFile, withSecrets);
  const problems = [...checked.problems];
  const c = convict(configSchema, { env: checked.env, args: [] });
  if (fromFile) c.load(fromFile);
  try {
    c.validate({ allowed: 'strict' });
  } catch (e) {
    problems.push(...explain((e as Error).message).map((l) => attribute(l, sources)));
  }
  const cfg = withFileKeys(c.getProperties() as unknown as RelayConfig);
  problems.push(...orphanProblems(cfg.vims, cfg.subscriptions).map((l) => attribute(l, sources)), ...exposureProblem(cfg.admin), ...kafkaConfigProblems(cfg.kafka), ...sinkProblems(cfg));
  // Files are read only once the keys themselves are valid: a wrong type would only add noise.
  if (!problems.length) problems.push(...tlsConfigProblems(cfg.admin.tls), ...secretKeyFileProblems(cfg.store.secretKeyFile));
  problems.push(...fileProblems(cfg).map((l) => attribute(l, sources)));
  if (problems.length) throw new RelayError('CONFIG_INVALID', [...new Set(problems)].map((l) => redactText(toFileKeys(l))).join('\n'));
  return cfg;
}

/** Warnings that do not stop the daemon (an unknown VIM_EVENT_RELAY_* variable): for stderr or the log. */
export function configWarnings(env: NodeJS.ProcessEnv = process.env): string[] {
  return unknownEnvWarnings(env);
}

/** RelayConfig speaks the file's names: sinks.default. */
function withFileKeys(cfg: RelayConfig): RelayConfig {
  const raw = cfg as unknown as { sinks: { defaultSink?: 'dmaap' | 'kafka'; default?: 'dmaap' | 'kafka' } };
  if (raw.sinks.defaultSink !== undefined) raw.sinks = { default: raw.sinks.defaultSink };
  return cfg;
}

/** The effective config with every secret masked: for check-config and the start-up log. */
export function redactedConfig(cfg: RelayConfig): RelayConfig {
  return redactDeep(cfg);
}
