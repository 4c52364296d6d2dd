/** The published schema, compiled once for the normalize tests (ajv's named export: the default import does not typecheck under NodeNext). */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

export const VM_SCHEMA = JSON.parse(
  readFileSync(new URL('../../../schemas/vm-message.schema.json', import.meta.url), 'utf8'),
);

const validate = new Ajv2020({ strict: true, allErrors: true }).compile(VM_SCHEMA);

/** The ajv errors as text, "" when valid. */
export function schemaErrors(value: unknown): string {
  return validate(value) ? '' : JSON.stringify(validate.errors);
}
