/**
 * The admin port's JSON body parser. JSON.parse is recursive in its callers (Ajv, our own walks):
 * a body nested 100,000 deep overflowed the stack into a 500, so nesting is bounded first, by a
 * linear scan. Keys that could change an object's prototype (`__proto__`, `constructor.prototype`)
 * are refused by name, rather than called "not valid JSON".
 */
import { RelayError } from '../errors.js';

/** No admin body needs more than 3 levels (a VIM with its lists); 32 leaves room and stays far from the stack. */
export const MAX_BODY_DEPTH = 32;

/** The deepest nesting of arrays and objects, counted outside strings; stops counting past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function member(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The path of the first prototype-changing key, or undefined. The depth is already bounded. */
function prototypeKey(v: unknown, path: string): string | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = prototypeKey(v[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  for (const key of Object.keys(v)) {
    const value = (v as Record<string, unknown>)[key];
    if (key === '__proto__') return member(path, key);
    if (
      key === 'constructor' &&
      value &&
      typeof value === 'object' &&
      Object.prototype.hasOwnProperty.call(value, 'prototype')
    ) {
      return `${member(path, key)}.prototype`;
    }
    const found = prototypeKey(value, member(path, key));
    if (found) return found;
  }
  return undefined;
}

/** The parsed body, or RelayError VALIDATION_FAILED saying what is wrong with it. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0)
    throw new RelayError('VALIDATION_FAILED', 'body is empty but Content-Type is application/json; send a JSON object');
  const depth = nestingDepth(text, MAX_BODY_DEPTH);
  if (depth > MAX_BODY_DEPTH) {
    throw new RelayError(
      'VALIDATION_FAILED',
      `body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep; no request needs more than 3`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's own message may quote a cut-off piece of the body; it is not repeated.
    throw new RelayError('VALIDATION_FAILED', 'body is not valid JSON; check quoting and commas');
  }
  const bad = prototypeKey(value, 'body');
  if (bad) {
    throw new RelayError(
      'VALIDATION_FAILED',
      `${bad}: a key that could change an object's prototype is refused (prototype poisoning); remove it`,
    );
  }
  return value;
}
