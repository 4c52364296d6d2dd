/**
 * Strimzi's own CRD schemas (test/fixtures/strimzi, with their origin) as validators: an object of
 * kind KafkaUser or KafkaTopic is checked against the schema of its apiVersion in every vendored
 * Strimzi release that serves it, unknown fields refused (as `kubectl apply --validate=strict`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { ROOT } from './daemon.js';

const DIR = path.join(ROOT, 'test/fixtures/strimzi');

interface Vendored {
  origin: { tag: string };
  group: string;
  kind: string;
  version: string;
  openAPIV3Schema: Record<string, unknown>;
}

/** additionalProperties: false wherever the schema lists properties and keeps no unknown fields. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v);
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true)
    out.additionalProperties = false;
  return out;
}

// x-kubernetes-* keywords are Kubernetes' own: not strict about unknown keywords.
const ajv = new Ajv({ strict: false, allErrors: true });

export interface CrdValidator {
  readonly release: string;
  readonly validate: ValidateFunction;
}

/** Every vendored schema for `group/version` and `kind`, one per Strimzi release. */
export function strimziSchemas(apiVersion: string, kind: string): CrdValidator[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Vendored)
    .filter((v) => `${v.group}/${v.version}` === apiVersion && v.kind === kind)
    .map((v) => ({ release: v.origin.tag, validate: ajv.compile(strict(v.openAPIV3Schema) as object) }));
}

/** The problems of `obj` against each release's schema of its apiVersion; [] when all accept it. */
export function strimziProblems(obj: {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  spec?: unknown;
}): string[] {
  const name = `${obj.kind}/${obj.metadata?.name}`;
  const schemas = strimziSchemas(obj.apiVersion, obj.kind);
  if (schemas.length === 0) return [`${name}: no vendored Strimzi schema serves ${obj.apiVersion}`];
  return schemas.flatMap(({ release, validate }) =>
    validate(obj as unknown)
      ? []
      : (validate.errors ?? []).map(
          (e) =>
            `${name} (Strimzi ${release} ${obj.apiVersion}): ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
        ),
  );
}
