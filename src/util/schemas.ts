/**
 * The JSON Schema files in schemas/ are the one source of truth for the shapes of VIMs,
 * subscriptions and the admin API's bodies: the store validates what it loads against them,
 * the admin port validates requests against them and openapi.json references them.
 * This module finds, loads and compiles them (draft 2020-12) and words Ajv's errors for people.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { redactText } from './redact.js';

/** The schemas' patterns in words: a reader should not have to read a regular expression. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[0-9a-zA-Z_-]{1,64}$': '1 to 64 letters, digits, "_" or "-"',
  '^[0-9a-zA-Z_.:-]{1,128}$': '1 to 128 letters, digits, "_", ".", ":" or "-"',
  '^[a-zA-Z0-9._-]{1,255}$': '1 to 255 letters, digits, ".", "_" or "-"',
  '^https?://[^\\s/@]+(/\\S*)?$': 'an http:// or https:// URL without user or password, and without spaces',
  '^(rabbit|kombu|amqp|amqps)://\\S+$': 'a rabbit://, kombu://, amqp:// or amqps:// URL without spaces',
  '^[0-9]{1,9}$': '1 to 9 digits',
  '^[1-9][0-9]{0,3}$': 'a whole number from 1 to 9999',
};

/** src/util/ and dist/util/ are both two levels below the package root, beside schemas/. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const SCHEMA_FILES = [
  'vim.schema.json',
  'subscription.schema.json',
  'check-vim-status.schema.json',
  'vesagent.schema.json',
  'error.schema.json',
] as const;
export type SchemaFile = (typeof SCHEMA_FILES)[number];

export type JsonObject = Record<string, unknown>;

export function loadSchemaFile(name: string): JsonObject {
  return JSON.parse(readFileSync(`${SCHEMA_DIR}${name}`, 'utf8')) as JsonObject;
}

// ajv-formats is CommonJS with a default export; under NodeNext its namespace arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: Ajv2020,
) => Ajv2020;

/** An Ajv with every schema file added under its $id, so `{"$ref": "vim.schema.json#/$defs/vimId"}` resolves. */
// strictRequired is off because the files name required properties defined in a $ref'd "fields" block (the 2020-12 way to share them between a body and an answer).
export function createSchemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  for (const name of SCHEMA_FILES) ajv.addSchema(loadSchemaFile(name));
  return ajv;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

/** A value as it may be quoted back: credentials redacted before it is shortened, never after. */
export function quoteValue(value: unknown): string {
  const text = redactText(JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A property name after a path: `.name`, or `["odd name"]` when it is not a plain word. */
function member(name: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** A JSON pointer (`/topics/1`) in the one notation messages use: `.topics[1]`. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(seg) ? `[${seg}]` : member(seg);
    })
    .join('');
}

function describeOne(e: ErrorObject, root: string): string {
  const at = `${root}${pointerToPath(e.instancePath)}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at}${member(String(p.missingProperty))} is required`;
    case 'unevaluatedProperties':
      return `${at}${member(String(p.unevaluatedProperty))} is not a known property`;
    case 'additionalProperties':
      return `${at}${member(String(p.additionalProperty))} is not a known property`;
    case 'type': {
      const types = String(p.type)
        .split(',')
        .map((t) => ARTICLE[t] ?? t)
        .join(' or ');
      return `${at} must be ${types} (got ${quoteValue(e.data)})`;
    }
    case 'pattern':
      return `${at} ${quoteValue(e.data)} does not match: ${PATTERN_WORDS[String(p.pattern)] ?? 'the expected form (see the JSON Schema in schemas/)'}`;
    case 'enum':
      return `${at} ${quoteValue(e.data)} must be one of ${(p.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    default:
      return `${at} ${e.message ?? 'is not valid'}`;
  }
}

/** "body.transportUrl must be a string (got 42); body.topic is required" */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined, root: string): string {
  const lines = (errors ?? []).map((e) => describeOne(e, root));
  return [...new Set(lines)].join('; ') || `${root} is not valid`;
}

let shared: Ajv2020 | undefined;

/** The compiled validator of one schema file, from one Ajv shared by the whole process. */
export function schemaValidator(file: SchemaFile): ValidateFunction {
  shared ??= createSchemaAjv();
  const v = shared.getSchema(file);
  if (!v) throw new Error(`schemas/${file} is not loaded`);
  return v;
}
