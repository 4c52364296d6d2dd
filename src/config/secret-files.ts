/**
 * Secrets as files, beside environment variables, so that a Kubernetes Secret volume, a Docker
 * secret or a systemd credential never has to pass through the environment (which child
 * processes inherit and /proc/PID/environ shows). For every sensitive key of the schema:
 *
 * - `<VAR>_FILE` (e.g. VIM_EVENT_RELAY_DMAAP_PASSWORD_FILE) names a file whose content, trailing
 *   newlines trimmed, is the value;
 * - under systemd, a credential named after the key (`LoadCredential=dmaap.password:/etc/...`)
 *   is read from `$CREDENTIALS_DIRECTORY/dmaap.password`.
 *
 * The value then takes the place of `<VAR>` (so it overrides the config file, as env does). One
 * key given by two of these is an error naming both: silently preferring one hides a stale
 * secret. Messages name the variable and the file, never the content.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from './schema.js';
import { RelayError } from '../errors.js';

export interface SensitiveKey {
  /** The config key, e.g. `dmaap.password`; also the systemd credential's name. */
  readonly key: string;
  /** Its environment variable, e.g. `VIM_EVENT_RELAY_DMAAP_PASSWORD`. */
  readonly env: string;
  /** The variable naming a file that holds the value: `<env>_FILE`. */
  readonly fileEnv: string;
}

export const FILE_SUFFIX = '_FILE';

/** Every key the schema marks `sensitive: true`, with the variables that may carry it. */
export function sensitiveKeys(schema: Record<string, unknown> = configSchema): SensitiveKey[] {
  const walk = (node: Record<string, unknown>, prefix: string): SensitiveKey[] =>
    Object.entries(node).flatMap(([k, v]) => {
      const o = v as Record<string, unknown>;
      const key = prefix ? `${prefix}.${k}` : k;
      if (!('doc' in o && 'default' in o)) return walk(o, key);
      return o.sensitive === true && typeof o.env === 'string' ? [{ key, env: o.env, fileEnv: `${o.env}${FILE_SUFFIX}` }] : [];
    });
  return walk(schema, '');
}

/** The `<VAR>_FILE` variable names the relay understands (for docs and unknown-variable checks). */
export function secretFileVariables(schema: Record<string, unknown> = configSchema): string[] {
  return sensitiveKeys(schema).map((s) => s.fileEnv);
}

interface Source { readonly name: string; readonly file?: string; readonly fix?: string }

/** Where the secret of each key comes from, when from a file: `<VAR>_FILE`, else a systemd credential. */
function fileSources(s: SensitiveKey, env: NodeJS.ProcessEnv): Source[] {
  const sources: Source[] = [];
  const named = env[s.fileEnv];
  if (named !== undefined && named !== '') sources.push({ name: s.fileEnv, file: named, fix: `mount the secret there or unset ${s.fileEnv}` });
  const credential = env.CREDENTIALS_DIRECTORY ? path.join(env.CREDENTIALS_DIRECTORY, s.key) : undefined;
  if (credential && existsSync(credential)) {
    sources.push({ name: `systemd credential ${s.key}`, file: credential, fix: `fix or remove the unit's LoadCredential=${s.key}:...` });
  }
  return sources;
}

function readSecret({ name, file, fix }: Required<Source>): { value?: string; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { problem: `${name}: cannot read ${file} (${err.code ?? err.message}); ${fix}` };
  }
  const value = text.replace(/(\r?\n)+$/, '');
  // An empty password or token means "no authentication": from a file it is a mistake, not a choice.
  if (value === '') return { problem: `${name}: ${file} is empty; put the secret in it (an empty secret would turn authentication off)` };
  return { value };
}

/**
 * `env` with each secret given as a file read into its variable. Throws one CONFIG_INVALID
 * listing every problem, one a line.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv, schema: Record<string, unknown> = configSchema): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const s of sensitiveKeys(schema)) {
    const sources: Source[] = [...(env[s.env] !== undefined ? [{ name: s.env }] : []), ...fileSources(s, env)];
    if (sources.length > 1) {
      problems.push(`${s.key}: given by both ${sources.map((x) => x.name).join(' and ')}; keep one`);
      continue;
    }
    const from = sources[0];
    if (!from?.file) continue;
    const { value, problem } = readSecret(from as Required<Source>);
    if (problem) problems.push(`${s.key}: ${problem}`);
    else out[s.env] = value;
  }
  if (problems.length) throw new RelayError('CONFIG_INVALID', problems.join('\n'));
  return out;
}

/**
 * A secret read from a file that may be rewritten while the daemon runs (a token rotated by
 * updating its Kubernetes Secret): the file and how to read it again, by the same rules as at
 * start. undefined when `key` is not given by a file.
 */
export interface SecretFile {
  readonly key: string;
  readonly file: string;
  /** The value now, or the problem (named as at start, never with the content). */
  read(): { value?: string; problem?: string };
}

export function secretFileOf(key: string, env: NodeJS.ProcessEnv = process.env, schema: Record<string, unknown> = configSchema): SecretFile | undefined {
  const s = sensitiveKeys(schema).find((k) => k.key === key);
  const from = s && fileSources(s, env)[0];
  if (!from?.file) return undefined;
  return { key, file: from.file, read: () => readSecret(from as Required<Source>) };
}
