/**
 * A real HTTP server on 127.0.0.1 whose answers are scripted request by request, for the faults
 * a real Message Router will not produce on demand: 5xx, 429 with Retry-After, MR's partial
 * publish, connection resets, requests left hanging. Every request is recorded, and the messages
 * of every request it answered as accepted are kept, so tests can check what really got in.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour =
  /**
   * 200 {"count":N,"serverTimeMs":0} and the request's messages count as accepted; answered after
   * `delayMs`, or once `until` settles, so a test can hold a request in flight as long as it needs.
   */
  | { readonly kind: 'accept'; readonly delayMs?: number; readonly until?: Promise<unknown> }
  /** Any scripted answer; nothing counts as accepted. */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly body?: string;
      readonly delayMs?: number;
    }
  /** MR's partial-publish 404: the first `accepted` messages count as accepted. */
  | { readonly kind: 'partial'; readonly accepted: number }
  /** The TCP connection is reset once the request has been read. */
  | { readonly kind: 'reset' }
  /** The request is read and never answered (until close()). */
  | { readonly kind: 'hang' };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Epoch ms when the whole request had arrived. */
  readonly at: number;
}

export interface FaultServer {
  readonly url: string;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Queues behaviours for the next requests, in order; once the script is used up: `fallback`. */
  script(...behaviours: Behaviour[]): void;
  /** What requests get when the script is empty (default `accept`). */
  fallback: Behaviour;
  /** Messages (JSON text, as sent) of `topic` that were answered as accepted, in order. */
  accepted(topic: string): string[];
  /** Resolves once `n` requests in total have arrived. */
  waitForRequests(n: number): Promise<void>;
  /** The most requests that were ever being handled at the same time. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

/** The body MR answers after publishing only the first `n` messages of a batch (EventsServiceImpl). */
export function partialPublishBody(topic: string, n: number): string {
  return JSON.stringify({
    status: 404,
    mrErrorCode: 5007,
    errorMessage: `Problem publishing message:${topic}.Successfully published number of messages :${n}`,
    helpURL: 'https://docs.onap.org',
    statusTs: new Date().toISOString(),
  });
}

export async function startFaultServer(): Promise<FaultServer> {
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  const accepted = new Map<string, string[]>();
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let active = 0;
  let peak = 0;

  const accept = (topic: string, messages: readonly string[]): void => {
    accepted.set(topic, [...(accepted.get(topic) ?? []), ...messages]);
  };

  const server = http.createServer((req, res) => {
    peak = Math.max(peak, ++active);
    res.on('close', () => active--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(rec);
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      perform(queue.shift() ?? api.fallback, rec, req, res, accept);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const api: FaultServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    fallback: { kind: 'accept' },
    script: (...b) => void queue.push(...b),
    accepted: (topic) => accepted.get(topic) ?? [],
    maxConcurrent: () => peak,
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}

function perform(
  b: Behaviour,
  rec: RecordedRequest,
  req: IncomingMessage,
  res: ServerResponse,
  accept: (topic: string, messages: readonly string[]) => void,
): void {
  const topic = decodeURIComponent(rec.path.replace(/^\/events\//, '').split('?')[0] ?? '');
  switch (b.kind) {
    case 'hang':
      return;
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'partial': {
      accept(topic, messagesOf(rec.body).slice(0, b.accepted));
      reply(res, 404, { 'Content-Type': 'application/json' }, partialPublishBody(topic, b.accepted));
      return;
    }
    case 'accept':
      return later(b.delayMs, b.until, () => {
        const messages = messagesOf(rec.body);
        accept(topic, messages);
        reply(
          res,
          200,
          { 'Content-Type': 'application/json' },
          JSON.stringify({ count: messages.length, serverTimeMs: 0 }),
        );
      });
    case 'respond':
      return later(b.delayMs, undefined, () => reply(res, b.status, b.headers ?? {}, b.body ?? ''));
  }
}

/** Each element of the posted array, re-serialised compactly (tests post compact JSON). */
function messagesOf(body: string): string[] {
  const parsed: unknown = JSON.parse(body);
  return Array.isArray(parsed) ? parsed.map((m) => JSON.stringify(m)) : [JSON.stringify(parsed)];
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function later(ms: number | undefined, until: Promise<unknown> | undefined, fn: () => void): void {
  if (until) void until.then(fn, fn);
  else if (ms && ms > 0) setTimeout(fn, ms);
  else fn();
}
