/**
 * ONAP's VES 7.2 schema (schemas/ves/CommonEventFormat_30.2.1_ONAP.json, the DCAE collector's
 * own), compiled once, on first use (about 0.8 s). The tests check every event the relay builds
 * against it (the relay itself does not, at run time: the collector does), and dmaap-dev checks
 * every body its /eventListener/v7 receives. The schema is draft-04, which Ajv's default build
 * no longer reads: ajv-draft-04 does.
 */
import { readFileSync } from 'node:fs';
import Ajv04Module from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SCHEMA_DIR, describeSchemaErrors } from '../util/schemas.js';

export const VES_SCHEMA_FILE = 'ves/CommonEventFormat_30.2.1_ONAP.json';

// Both are CommonJS with a default export; under NodeNext the namespace may arrive wrapped.
type AjvLike = { compile(schema: object): ValidateFunction };
const Ajv04 = ((Ajv04Module as unknown as { default?: unknown }).default ?? Ajv04Module) as new (
  opts: object,
) => AjvLike;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  a: AjvLike,
) => AjvLike;

let validator: ValidateFunction | undefined;

function bodyValidator(): ValidateFunction {
  if (!validator) {
    // strict off: the collector's schema carries keywords ("default" in odd places) that Ajv's strict mode refuses.
    const ajv = new Ajv04({ allErrors: true, verbose: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(`${SCHEMA_DIR}${VES_SCHEMA_FILE}`, 'utf8')) as object);
  }
  return validator;
}

export type VesBodyCheck =
  | { readonly ok: true; readonly kind: 'event' | 'eventList'; readonly events: readonly VesEventLike[] }
  | { readonly ok: false; readonly reason: string };

/** The little of an event that routing needs; the schema has vouched for the rest. */
export interface VesEventLike {
  readonly commonEventHeader: { readonly domain: string; readonly eventName: string; readonly eventId: string };
  readonly [field: string]: unknown;
}

/**
 * What the collector accepts: `{"event": ...}` or `{"eventList": [...]}` valid against the
 * schema, a batch not empty and of one domain (the collector's rule since 1.10.0, which the
 * schema does not state). The reason names the first problems, e.g.
 * "event/commonEventHeader/sourceName is required".
 */
export function checkVesBody(body: unknown, kind: 'event' | 'eventList'): VesBodyCheck {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, reason: 'the body must be a JSON object' };
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== kind) {
    return {
      ok: false,
      reason: `the body must hold exactly one key, "${kind}" (got ${keys.map((k) => JSON.stringify(k)).join(', ') || 'none'})`,
    };
  }
  const validate = bodyValidator();
  if (!validate(body))
    return { ok: false, reason: describeSchemaErrors(validate.errors, '').replace(/(^|; )[./]/g, '$1') };
  const value = (body as Record<string, unknown>)[kind];
  const events = (kind === 'event' ? [value] : value) as VesEventLike[];
  if (events.length === 0) return { ok: false, reason: 'eventList is empty' };
  const domains = [...new Set(events.map((e) => e.commonEventHeader.domain))];
  if (domains.length > 1)
    return { ok: false, reason: `eventList mixes domains (${domains.join(', ')}); send one domain per batch` };
  return { ok: true, kind, events };
}

/** Why one event is not valid VES 7.2, or undefined when it is. */
export function vesEventErrors(event: unknown): string | undefined {
  const r = checkVesBody({ event }, 'event');
  return r.ok ? undefined : r.reason;
}
