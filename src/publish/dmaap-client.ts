/**
 * One HTTP call: POST a batch of already-serialised messages to Message Router (or a body to a
 * VES collector: same pooling, auth, CA and deadline). No retry and no interpretation here
 * (that is classify.ts and the publishers); every status comes back.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { jsonArrayBytes, type SizedJson } from './batch.js';

export interface DmaapClientOptions {
  /** Message Router base URL, e.g. http://mr:3904 or https://mr:3905 (dmaap.url). */
  readonly url: string;
  /** Basic auth identity; empty or absent = no Authorization header (dmaap.username). */
  readonly username?: string;
  readonly password?: string;
  /** PEM CA bundle trusted for HTTPS, read once here (dmaap.caFile). Empty = system CAs. */
  readonly caFile?: string;
  /** Whole-request deadline, ms (dmaap.timeoutMs). */
  readonly timeoutMs: number;
  /** Keep-alive sockets per origin: the publisher passes its in-flight limit (publish.maxInFlightRequests). */
  readonly maxSockets: number;
  /** Who answers, for messages: default "DMaaP". */
  readonly peer?: string;
  /** The config key naming caFile, for messages: default "dmaap.caFile". */
  readonly caFileKey?: string;
}

export interface DmaapResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
  readonly durationMs: number;
}

/*
 * Error bodies are truncated to 512 characters by the classifier anyway; this bound only keeps
 * a misbehaving server from making the relay buffer an arbitrary answer.
 */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** What the publisher needs of a client: one POST of a batch, and freeing its sockets. */
export interface BatchPoster {
  postBatch(topic: string, messages: readonly SizedJson[], signal?: AbortSignal): Promise<DmaapResponse>;
  close(): void;
}

export class DmaapClient implements BatchPoster {
  private readonly http: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly base: string;

  constructor(private readonly opts: DmaapClientOptions) {
    const maxSockets = opts.maxSockets;
    const ca = opts.caFile ? readCa(opts.caFile, opts.caFileKey ?? 'dmaap.caFile') : undefined;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, ...(ca ? { ca } : {}) });
    this.base = opts.url.replace(/\/+$/, '');
    this.http = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      timeout: opts.timeoutMs,
      validateStatus: () => true,
      // Bodies are passed through untouched both ways: messages are already JSON text and
      // answers are classified from their raw text.
      responseType: 'text',
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      maxBodyLength: Infinity,
      proxy: false,
      ...(opts.username ? { auth: { username: opts.username, password: opts.password ?? '' } } : {}),
    });
  }

  /** POSTs `[json,json,...]` to /events/{topic}; resolves with any status, rejects on no answer. */
  postBatch(topic: string, messages: readonly SizedJson[], signal?: AbortSignal): Promise<DmaapResponse> {
    return this.post(`/events/${encodeURIComponent(topic)}`, jsonArrayBytes(messages), signal);
  }

  /** POSTs a JSON body to the base URL + `path` ("" = the base URL itself); as postBatch otherwise. */
  async post(path: string, body: string | Buffer, signal?: AbortSignal): Promise<DmaapResponse> {
    const started = performance.now();
    // axios' own timeout only watches socket inactivity; this also bounds a server that trickles.
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, this.opts.timeoutMs);
    const onAbort = (): void => ctrl.abort(signal?.reason);
    if (signal?.aborted) ctrl.abort(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.http.post<string>(`${this.base}${path}`, body, {
        headers: { 'Content-Type': 'application/json' },
        signal: ctrl.signal,
      });
      return {
        status: res.status,
        headers: flatHeaders(res.headers),
        body: bodyText(res.data),
        durationMs: performance.now() - started,
      };
    } catch (err) {
      if (timedOut) {
        throw Object.assign(new Error(`no answer from ${this.opts.peer ?? 'DMaaP'} within ${this.opts.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
          cause: err,
        });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Frees pooled sockets; requests still running are not aborted (the caller's signal does that). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function readCa(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function flatHeaders(headers: object): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function bodyText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (data === undefined || data === null) return '';
  // responseType 'text' hands over a string; anything else is shown as JSON, not "[object Object]".
  return JSON.stringify(data) ?? '';
}
