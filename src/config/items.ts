/**
 * Validation of the `vims` and `subscriptions` lists in a config file. The per-item shape is
 * the admin API's body schema (schemas/vim.schema.json, schemas/subscription.schema.json), so
 * config and API accept exactly the same VIMs and subscriptions; this adds what a schema cannot
 * say: ids present and unique, a transport_url that parses, states from the vocabulary, no two
 * VIMs on one queue.
 */
import { describeSchemaErrors, schemaValidator, type SchemaFile } from '../util/schemas.js';
import { parseTransportUrl } from '../transport/transport-url.js';
import { normalizeStates } from '../filter/match.js';
import { redactText } from '../util/redact.js';
import { sharedQueueProblem } from './shared-queues.js';
import { applyVimDefaults, type VimSpec } from './vim.js';

type Item = Record<string, unknown>;

/** `name(i)` names item i in messages: `vims[0]` in a config file, `body` in an API request. */
function checkList(v: unknown, key: string, schema: SchemaFile, extra: (item: Item, at: string) => string[], name = (i: number) => `${key}[${i}]`): string[] {
  if (!Array.isArray(v)) return [`${key}: must be a JSON array`];
  const problems: string[] = [];
  const seen = new Set<string>();
  const validate = schemaValidator(schema);
  v.forEach((item: unknown, i) => {
    const at = name(i);
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const id = (item as Item).id;
    if (id === undefined) problems.push(`${at}: missing required key "id"`);
    else if (typeof id === 'string' && seen.has(id)) problems.push(`${at}.id: "${id}" appears twice; ids must be unique`);
    else if (typeof id === 'string') seen.add(id);
    const shape = validate(item) ? [] : describeSchemaErrors(validate.errors, at).split('; ');
    // What the schema cannot say is checked too, for the fields it found no fault with: every problem in one run.
    const more = extra(item as Item, at).filter((p) => !shape.some((s) => s.startsWith(p.slice(0, p.indexOf(':')))));
    problems.push(...shape, ...more);
  });
  return problems;
}

function fail(problems: string[]): void {
  if (problems.length) throw new Error(redactText(problems.join('\n')));
}

function vimExtra(vim: Item, at: string): string[] {
  if (typeof vim.transportUrl !== 'string') return [];
  try {
    parseTransportUrl(vim.transportUrl);
    return [];
  } catch (e) {
    return [`${at}.transportUrl: ${(e as Error).message}`];
  }
}

function subscriptionExtra(sub: Item, at: string): string[] {
  if (!Array.isArray(sub.states) || !sub.states.every((x) => typeof x === 'string')) return [];
  const { unknown } = normalizeStates(sub.states);
  return unknown.length ? [`${at}.states: unknown state(s) ${unknown.map((s) => `"${s}"`).join(', ')}; see README "Subscriptions and states"`] : [];
}

/** For convict's formats: throws an Error whose lines name vims[i].field. */
export function validateVimItems(v: unknown): void {
  const problems = checkList(v, 'vims', 'vim.schema.json', vimExtra);
  if (problems.length === 0) {
    const vims = (v as VimSpec[]).map(applyVimDefaults);
    vims.forEach((vim, i) => {
      const shared = sharedQueueProblem(vim, vims.slice(0, i), `vims[${i}]`);
      if (shared) problems.push(shared);
    });
  }
  fail(problems);
}

export function validateSubscriptionItems(v: unknown): void {
  fail(checkList(v, 'subscriptions', 'subscription.schema.json', subscriptionExtra));
}

/** For an API request body: the same checks, each problem naming body.field, secrets redacted. */
export function vimBodyProblems(body: unknown): string[] {
  return checkList([body], 'vims', 'vim.schema.json', vimExtra, () => 'body').map((l) => redactText(l));
}

export function subscriptionBodyProblems(body: unknown): string[] {
  return checkList([body], 'subscriptions', 'subscription.schema.json', subscriptionExtra, () => 'body').map((l) => redactText(l));
}
