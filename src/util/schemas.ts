/**
 * The JSON Schemas in schemas/ are the one source of truth for message shapes and API/config
 * bodies. They ship beside dist/ (package root), so resolve them from this file's location.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

const cache = new Map<string, ValidateFunction>();
let ajv: Ajv2020 | undefined;

export function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** One Ajv holding every schema in schemas/, so that they can $ref each other by $id. */
function sharedAjv(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const f of readdirSync(SCHEMAS_DIR).filter((n) => n.endsWith('.schema.json'))) {
      const schema = loadSchema(f);
      ajv.addSchema(schema, (schema.$id as string | undefined) ?? f);
    }
  }
  return ajv;
}

/** A compiled validator for schemas/<file>; schemas may $ref each other by file name. */
export function validatorFor(file: string): ValidateFunction {
  let v = cache.get(file);
  if (!v) {
    const schemas = sharedAjv();
    const id = (loadSchema(file).$id as string | undefined) ?? file;
    v = schemas.getSchema(id);
    if (!v) throw new Error(`schemas/${file} has no $id "${id}" loaded`);
    cache.set(file, v);
  }
  return v;
}

/** "field must ..." lines, with the instance path as a dotted field name under `prefix`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, prefix: string): string[] {
  return (errors ?? []).map((e) => {
    const field = [prefix, ...e.instancePath.split('/').filter(Boolean)].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    if (e.keyword === 'additionalProperties') return `${field}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"; remove it`;
    if (e.keyword === 'unevaluatedProperties') return `${field}: unknown key "${(e.params as { unevaluatedProperty: string }).unevaluatedProperty}"; remove it`;
    if (e.keyword === 'required') return `${field}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    return `${field}: ${e.message ?? 'is invalid'}`;
  });
}
