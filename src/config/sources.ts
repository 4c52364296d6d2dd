/**
 * What convict does not check about where a value came from: a number given as a string in the
 * file ("5"), an env var that is not digits ("5ms", which convict would read as 5), JSON in an
 * env var that does not parse, and an unknown VIM_EVENT_RELAY_* variable (a typo, otherwise
 * ignored without a word). Problems and warnings name the key and, for env values, the variable.
 */
import { configSchema } from './schema.js';
import { secretFileVariables } from './secret-files.js';
import { canonical } from '../util/json.js';
import { stateKey } from '../model/subscription.js';

interface Leaf {
  readonly key: string;
  readonly env: string;
  readonly kind: 'number' | 'boolean' | 'json' | 'other';
}

/** The variable that picks the config file; not a config key. */
export const CONFIG_FILE_VAR = 'VIM_EVENT_RELAY_CONFIG';
const PREFIX = 'VIM_EVENT_RELAY_';

function leaves(): Leaf[] {
  const out: Leaf[] = [];
  const walk = (node: Record<string, unknown>, at: string): void => {
    for (const [name, v] of Object.entries(node)) {
      const key = at ? `${at}.${name}` : name;
      const item = v as { env?: string; default?: unknown; format?: unknown };
      if (item.env === undefined) {
        walk(v as Record<string, unknown>, key);
        continue;
      }
      const d = item.default;
      // The JSON lists (vims, subscriptions); other lists (kafka.brokers) read their own env form.
      const json = item.format === 'vim-list' || item.format === 'subscription-list';
      const kind = json ? 'json' : typeof d === 'number' ? 'number' : typeof d === 'boolean' ? 'boolean' : 'other';
      out.push({ key, env: item.env, kind });
    }
  };
  walk(configSchema, '');
  return out;
}

export const CONFIG_LEAVES: readonly Leaf[] = leaves();

/** The variables of the keys whose value came from the environment, by key. */
export function envSources(env: NodeJS.ProcessEnv): Map<string, string> {
  return new Map(CONFIG_LEAVES.filter((l) => env[l.env] !== undefined).map((l) => [l.key, l.env]));
}

function getPath(obj: Record<string, unknown>, key: string): { parent?: Record<string, unknown>; name: string; value: unknown } {
  const parts = key.split('.');
  const name = parts.pop()!;
  let node: unknown = obj;
  for (const p of parts) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
  const parent = node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
  return { parent, name, value: parent?.[name] };
}

/**
 * Refuses, before convict coerces them, values of the wrong kind; removes them from `file` and
 * from the returned env so that convict neither coerces nor reports them a second time.
 */
export function checkSources(file: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv): { problems: string[]; env: NodeJS.ProcessEnv } {
  const problems: string[] = [];
  const clean: NodeJS.ProcessEnv = { ...env };
  for (const leaf of CONFIG_LEAVES) {
    if (file) {
      const { parent, name, value } = getPath(file, leaf.key);
      if (parent && value !== undefined && leaf.kind !== 'other' && leaf.kind !== 'json' && typeof value !== leaf.kind) {
        problems.push(`${leaf.key}: must be a ${leaf.kind}, not ${JSON.stringify(value)}; write it without quotes, e.g. ${leaf.kind === 'number' ? 5 : false}`);
        delete parent[name];
      }
    }
    const raw = env[leaf.env];
    if (raw === undefined) continue;
    const problem = envProblem(leaf, raw);
    if (problem) {
      problems.push(`${leaf.key} (from ${leaf.env}): ${problem}`);
      delete clean[leaf.env];
    }
  }
  return { problems, env: clean };
}

function envProblem(leaf: Leaf, raw: string): string | undefined {
  if (leaf.kind === 'number' && !/^\d+$/.test(raw.trim())) return `${JSON.stringify(raw)} is not a whole number; write digits only, e.g. 5 (no unit: the key names it)`;
  if (leaf.kind === 'boolean' && !/^(true|false)$/.test(raw.trim())) return `${JSON.stringify(raw)} is not true or false`;
  if (leaf.kind === 'json') {
    try {
      JSON.parse(raw);
    } catch (e) {
      // Not the parser's message: it quotes a cut-off piece of the value, which may hold a password.
      const at = /position (\d+)/.exec((e as Error).message);
      return `not valid JSON${at ? ` (at character ${at[1]})` : ''}; give a JSON array, e.g. [{"id": "vio-1", "transportUrl": "rabbit://host:5672/"}]`;
    }
  }
  return undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length];
}

/** One warning per VIM_EVENT_RELAY_* variable that is no config key, naming the closest that is. */
export function unknownEnvWarnings(env: NodeJS.ProcessEnv): string[] {
  // <VAR>_FILE twins of the secrets (secret-files.ts) are known too.
  const known = [CONFIG_FILE_VAR, ...CONFIG_LEAVES.map((l) => l.env), ...secretFileVariables()];
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !known.includes(name))
    .sort()
    .map((name) => {
      const closest = [...known].sort((a, b) => distance(name, a) - distance(name, b))[0];
      return `${name} is not a known variable and is ignored; did you mean ${closest}? (README "Configuration" lists them)`;
    });
}

/** The environment variables of the two lists that seed an empty store. */
const SEED_VARIABLES = { vims: 'VIM_EVENT_RELAY_VIMS', subscriptions: 'VIM_EVENT_RELAY_SUBSCRIPTIONS' } as const;

export interface SeedDrift {
  readonly message: string;
  readonly variable: string;
  readonly onlyInVariable: string[];
  readonly onlyInStore: string[];
  /** In both, with different content (a corrected transportUrl, other states). */
  readonly changed: string[];
}

interface Identified {
  readonly id: string;
  readonly states?: readonly string[];
}

/** As the store keeps it: states upper-case; keys in one order. */
function sameContent(a: Identified, b: Identified): boolean {
  const norm = (x: Identified) => canonical(x.states ? { ...x, states: x.states.map(stateKey) } : x);
  return norm(a) === norm(b);
}

/**
 * When a store exists, VIM_EVENT_RELAY_VIMS / _SUBSCRIPTIONS are not read: the store is the
 * source of truth. An operator who set them on purpose must hear it, with the ids that differ
 * and the way to make the variable win. Nothing when the variable is unset or agrees (by id).
 */
export function seedDrift(
  env: NodeJS.ProcessEnv,
  given: { vims: readonly Identified[]; subscriptions: readonly Identified[] },
  stored: { vims: readonly Identified[]; subscriptions: readonly Identified[] },
  source: string,
): SeedDrift[] {
  return (['vims', 'subscriptions'] as const).flatMap((kind) => {
    const variable = SEED_VARIABLES[kind];
    if (env[variable] === undefined) return [];
    const mine = given[kind].map((x) => x.id);
    const theirs = stored[kind].map((x) => x.id);
    const onlyInVariable = mine.filter((id) => !theirs.includes(id));
    const onlyInStore = theirs.filter((id) => !mine.includes(id));
    const changed = given[kind]
      .filter((x) => stored[kind].some((y) => y.id === x.id && !sameContent(x, y)))
      .map((x) => x.id);
    if (!onlyInVariable.length && !onlyInStore.length && !changed.length) return [];
    const list = (ids: string[]) => (ids.length ? ids.join(', ') : 'none');
    const message =
      `${variable} is set but ignored: ${source} already exists and is the source of truth for ${kind} ` +
      `(only in the variable: ${list(onlyInVariable)}; only in the store: ${list(onlyInStore)}; different: ${list(changed)}). ` +
      `To replace the store's vims and subscriptions with the configuration's, start once with \`run --reseed\`; ` +
      `or change them through the admin API`;
    return [{ message, variable, onlyInVariable, onlyInStore, changed }];
  });
}
