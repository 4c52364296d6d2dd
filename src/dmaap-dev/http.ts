/** HTTP plumbing of the development Message Router: bodies in, JSON and MR error bodies out. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** MR's error codes (DMaaPResponseCode) that dmaap-dev answers with. */
export const MR_CODES = {
  RESOURCE_NOT_FOUND: 3001,
  METHOD_NOT_ALLOWED: 3003,
  TOO_LARGE: 3004,
  BAD_REQUEST: 3005,
} as const;

const HELP_URL = 'https://docs.onap.org/projects/onap-dmaap-messagerouter-messageservice';

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** MR's ErrorResponse shape: {status, mrErrorCode, errorMessage, helpURL, statusTs}. */
export function sendMrError(res: ServerResponse, status: number, mrErrorCode: number, errorMessage: string): void {
  sendJson(res, status, { status, mrErrorCode, errorMessage, helpURL: HELP_URL, statusTs: new Date().toISOString() });
}

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly tooLarge: true };

/**
 * Reads the whole body, keeping at most `limit` bytes. An oversized body is still drained (not
 * kept) so the answer can go back on the same keep-alive connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > limit ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }),
    );
    req.on('error', reject);
  });
}

/** A query parameter as a non-negative integer, or undefined when absent or malformed. */
export function intParam(params: URLSearchParams, name: string): number | undefined {
  const v = params.get(name);
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}
