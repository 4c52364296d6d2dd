/**
 * The README's reference tables, generated from the code that defines them (the config schema,
 * the error catalogue, the metrics), so the manual cannot drift: `npm run docs` rewrites them
 * and test/unit/docs/readme-sync.test.ts fails when the README differs.
 */
import { configSchema, KEY_ALIASES } from '../src/config/schema.js';
import { ERRORS } from '../src/errors.js';
import { createRelayMetrics, METRIC_PREFIX } from '../src/daemon/metrics.js';
import { FILE_SUFFIX } from '../src/config/secret-files.js';

interface Leaf {
  doc: string;
  default: unknown;
  env?: string;
  sensitive?: boolean;
}

const FILE_KEY = new Map(Object.entries(KEY_ALIASES).map(([file, schema]) => [schema, file]));

/** Every config key as a config file writes it, with its schema entry. */
function leaves(node: Record<string, unknown>, prefix = ''): [string, Leaf][] {
  return Object.entries(node).flatMap(([k, v]) => {
    const schemaKey = prefix ? `${prefix}.${k}` : k;
    const key = FILE_KEY.get(schemaKey) ?? schemaKey;
    const o = v as Record<string, unknown>;
    return 'doc' in o && 'default' in o ? [[key, o as unknown as Leaf] as [string, Leaf]] : leaves(o, schemaKey);
  });
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function configKeys(): string[] {
  return leaves(configSchema).map(([k]) => k);
}

/** How a secret may also be given: docs/production.md "Secrets as files" (src/config/secret-files.ts). */
const secretNote = (key: string, l: Leaf) =>
  ` (secret: redacted everywhere; also from a file: \`${l.env ?? ''}${FILE_SUFFIX}\` or the systemd credential \`${key}\`)`;

export function configTable(): string {
  const rows = leaves(configSchema).map(
    ([key, l]) =>
      `| \`${key}\` | \`${l.env ?? ''}\` | \`${JSON.stringify(l.default)}\` | ${cell(l.doc)}${l.sensitive ? secretNote(key, l) : ''} |`,
  );
  return ['| key | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function errorTable(): string {
  const rows = Object.entries(ERRORS).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${e.disposition} | ${cell(e.meaning)} |`,
  );
  return ['| code | HTTP | disposition | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export async function metricsTable(): Promise<string> {
  const { registry } = createRelayMetrics();
  const metrics = (await registry.getMetricsAsJSON()).filter((m) => m.name.startsWith(METRIC_PREFIX));
  const rows = metrics.map((m) => {
    const labels = (m as unknown as { values: { labels: Record<string, unknown> }[] }).values;
    const names = new Set(labels.flatMap((v) => Object.keys(v.labels)).filter((l) => l !== 'le'));
    const declared = (registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [
      ...names,
    ];
    return `| \`${m.name}\` | ${m.type} | ${declared.map((l) => `\`${l}\``).join(', ')} | ${cell(m.help)} |`;
  });
  return [
    '| metric | type | labels | meaning |',
    '|---|---|---|---|',
    ...rows,
    "| `process_*`, `nodejs_*` | | | prom-client's default process metrics (CPU, memory, event loop lag, GC) |",
  ].join('\n');
}

/** Replace the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} ... ${end} section`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

export async function renderReadme(doc: string): Promise<string> {
  let out = replaceSection(doc, 'config-table', configTable());
  out = replaceSection(out, 'error-codes', errorTable());
  return replaceSection(out, 'metrics-table', await metricsTable());
}
