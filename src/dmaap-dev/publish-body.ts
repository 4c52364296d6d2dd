/**
 * Splitting a publish body into messages the way Message Router's stream readers do
 * (CambriaJsonStreamReader, CambriaTextStreamReader, CambriaStreamReader, CambriaRawStreamReader).
 */
import { isPlainObject } from '../util/json.js';

export type Parsed =
  { readonly ok: true; readonly messages: string[] } | { readonly ok: false; readonly message: string };

const JSON_TYPE = 'application/json';
const CAMBRIA_TYPE = 'application/cambria';
const TEXT_TYPE = 'text/plain';

/** MR strips only "; charset=UTF-8" (any case) and then compares the type literally. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').replace(/;\s*charset=utf-8\s*$/i, '').trim();
}

export function parsePublishBody(contentType: string | undefined, body: Buffer): Parsed {
  const type = mediaType(contentType);
  if (type === JSON_TYPE) return parseJson(body.toString('utf8'));
  // "application/json;charset=utf-16" or "application/vnd.kafka.json.v2+json" miss the literal
  // comparison; MR answers those 400 rather than storing the body as one raw message.
  if (/json/i.test(type)) return { ok: false, message: 'Expecting an array or an object.' };
  if (type === TEXT_TYPE) return { ok: true, messages: parseText(body.toString('utf8')) };
  if (type === CAMBRIA_TYPE) return parseCambria(body);
  const raw = body.toString('utf8');
  return { ok: true, messages: raw.length > 0 ? [raw] : [] };
}

function parseJson(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `Invalid JSON: ${(err as Error).message}` };
  }
  if (isPlainObject(value)) return { ok: true, messages: [JSON.stringify(value)] };
  if (!Array.isArray(value)) return { ok: false, message: 'Expecting an array or an object.' };
  const messages: string[] = [];
  for (const el of value) {
    // MR's reader demands '{' for every element of the list.
    if (!isPlainObject(el))
      return { ok: false, message: "Expected an object in the array, found '" + JSON.stringify(el) + "'." };
    messages.push(JSON.stringify(el));
  }
  return { ok: true, messages };
}

function parseText(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

/** `<keyLen>.<msgLen>.<key><msg>` records, lengths in bytes, whitespace allowed between records. */
function parseCambria(body: Buffer): Parsed {
  const messages: string[] = [];
  let i = 0;
  const readLength = (): number | undefined => {
    let n = 0;
    let digits = 0;
    while (i < body.length && body[i] >= 0x30 && body[i] <= 0x39) {
      n = n * 10 + (body[i] - 0x30);
      i++;
      digits++;
    }
    if (digits === 0 || body[i] !== 0x2e) return undefined;
    i++;
    return n;
  };
  for (;;) {
    while (i < body.length && isSpace(body[i])) i++;
    if (i >= body.length) return { ok: true, messages };
    const keyLen = readLength();
    const msgLen = keyLen === undefined ? undefined : readLength();
    if (keyLen === undefined || msgLen === undefined) return { ok: false, message: 'Expected . after length.' };
    if (i + keyLen + msgLen > body.length)
      return { ok: false, message: `End of stream while reading ${keyLen + msgLen} bytes` };
    i += keyLen;
    messages.push(body.subarray(i, i + msgLen).toString('utf8'));
    i += msgLen;
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
