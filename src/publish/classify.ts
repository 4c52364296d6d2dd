/**
 * What a DMaaP answer means for the batch that caused it (Benthos-style: a pure classifier,
 * no I/O). docs/message-router.md says how Message Router answers: 2xx success; network errors, timeouts, 408,
 * 429 and 5xx retryable; MR's partial-publish 404 retries the unpublished tail; other 4xx
 * permanent for that batch.
 */

export type Outcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'retry'; readonly retryAfterMs?: number; readonly reason: string }
  | { readonly kind: 'partial'; readonly published: number; readonly reason: string }
  | { readonly kind: 'permanent'; readonly reason: string };

export type OutcomeKind = Outcome['kind'];

/** Enough of an error body to diagnose a refusal without flooding a log line or a DLQ header. */
export const REASON_BODY_LIMIT = 512;

/*
 * MR builds this text as "<publish error>:<topic>.Successfully published number of messages :<N>.<cause>"
 * (EventsServiceImpl.pushEvents), so the count is not always at the very end: search, don't anchor.
 */
const PARTIAL_RE = /Successfully published number of messages\s*:\s*(\d+)/;

export function classifyResponse(
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  batchSize: number,
): Outcome {
  if (status >= 200 && status < 300) return { kind: 'success' };
  const reason = describe(status, body);
  const published = partialCount(body);
  if (published !== undefined && (status === 404 || isRetryableStatus(status))) {
    if (published >= batchSize) return { kind: 'success' };
    if (published > 0) return { kind: 'partial', published, reason };
    return retry(status, headers, reason);
  }
  if (isRetryableStatus(status)) return retry(status, headers, reason);
  return { kind: 'permanent', reason };
}

/** Anything thrown instead of an answer (refused, reset, TLS, timeout) is worth another try. */
export function classifyError(err: unknown): Outcome {
  return { kind: 'retry', reason: describeError(err) };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status < 600);
}

function retry(status: number, headers: Readonly<Record<string, string | undefined>>, reason: string): Outcome {
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers['retry-after']) : undefined;
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', retryAfterMs, reason };
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** MR puts the text in errorMessage; simulators and older builds use message. */
function partialCount(body: string): number | undefined {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      const msg = typeof o.errorMessage === 'string' ? o.errorMessage : o.message;
      if (typeof msg === 'string') text = msg;
    }
  } catch {
    // A non-JSON body is still searched as plain text: some proxies pass MR's text through.
  }
  const m = PARTIAL_RE.exec(text);
  return m ? Number(m[1]) : undefined;
}

function describe(status: number, body: string): string {
  const trimmed = body.trim();
  const shown = trimmed.length > REASON_BODY_LIMIT ? `${trimmed.slice(0, REASON_BODY_LIMIT)}...` : trimmed;
  return shown ? `HTTP ${status}: ${shown}` : `HTTP ${status}`;
}
