/**
 * dmaap-dev: an in-memory Message Router for demos and tests (docs/message-router.md
 * says how the real one behaves). Publish, long-poll consume with consumer groups, and topic
 * listing/creation, with MR's status codes and error bodies; and a VES collector
 * (ves-listener.ts) whose accepted events land on topics like any others. Memory is bounded per topic (see topic-log.ts);
 * there is no auth, no partitioning and no persistence.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MR_CODES, intParam, readBody, sendJson, sendMrError } from './http.js';
import { parsePublishBody } from './publish-body.js';
import { TopicLog } from './topic-log.js';
import { handleVesPost, vesPathKind } from './ves-listener.js';

export interface DmaapDevServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Messages kept per topic; older ones are dropped. Default 100000. */
  retainPerTopic?: number;
  /** Largest publish body accepted, bytes; larger is 413. Default 10 MiB. */
  maxBodyBytes?: number;
}

export interface DmaapDevServer {
  listen(): Promise<{ url: string; port: number }>;
  /** Answers every pending long poll with `[]`, then stops. */
  close(): Promise<void>;
  /** Retained messages of `topic` (JSON text), oldest first; `[]` for an unknown topic. */
  messages(topic: string): string[];
}

const DEFAULT_POLL_MS = 10_000;
const MAX_POLL_MS = 60_000;
const DEFAULT_LIMIT = 4096;
// Kafka's legal topic names; MR hands the name to Kafka as is.
const TOPIC_RE = /^[A-Za-z0-9._-]{1,249}$/;

export function createDmaapDevServer(opts: DmaapDevServerOptions = {}): DmaapDevServer {
  return new DevMessageRouter(opts);
}

class DevMessageRouter implements DmaapDevServer {
  private readonly host: string;
  private readonly retain: number;
  private readonly maxBody: number;
  private readonly topics = new Map<string, TopicLog>();
  /** Pending long polls, each ended with `[]` on close. */
  private readonly polls = new Set<() => void>();
  private readonly server: http.Server;
  private closing = false;
  private closed?: Promise<void>;

  constructor(private readonly opts: DmaapDevServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.retain = opts.retainPerTopic ?? 100_000;
    this.maxBody = opts.maxBodyBytes ?? 10 * 1024 * 1024;
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendMrError(res, 500, 1004, `Internal error: ${(err as Error).message}`);
        else res.destroy(err as Error);
      });
    });
    // Longer than clients' idle timeouts, so a pooled connection is not closed under a request.
    this.server.keepAliveTimeout = 65_000;
  }

  listen(): Promise<{ url: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.host, () => {
        const port = (this.server.address() as AddressInfo).port;
        const shown = this.host.includes(':') ? `[${this.host}]` : this.host;
        resolve({ url: `http://${shown}:${port}`, port });
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    for (const end of [...this.polls]) end();
    this.closed ??= new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Answers just written are flushed first; whatever is still open after that is cut.
      setImmediate(() => this.server.closeAllConnections());
    });
    return this.closed;
  }

  messages(name: string): string[] {
    return this.topics.get(name)?.all() ?? [];
  }

  private topic(name: string): TopicLog {
    let log = this.topics.get(name);
    if (!log) {
      log = new TopicLog(name, this.retain);
      this.topics.set(name, log);
    }
    return log;
  }

  private async publish(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const started = Date.now();
    const read = await readBody(req, this.maxBody);
    if (!read.ok)
      return sendMrError(res, 413, MR_CODES.TOO_LARGE, `Message size exceeds the limit of ${this.maxBody} bytes.`);
    const parsed = parsePublishBody(req.headers['content-type'], read.body);
    if (!parsed.ok) return sendMrError(res, 400, MR_CODES.BAD_REQUEST, parsed.message);
    this.topic(name).append(parsed.messages);
    sendJson(res, 200, { count: parsed.messages.length, serverTimeMs: Date.now() - started });
  }

  private consume(res: ServerResponse, name: string, group: string, query: URLSearchParams): void {
    const log = this.topics.get(name);
    if (!log) return sendMrError(res, 404, MR_CODES.RESOURCE_NOT_FOUND, `No such topic exists.-[${name}]`);
    const timeout = Math.min(intParam(query, 'timeout') ?? DEFAULT_POLL_MS, MAX_POLL_MS);
    const limit = intParam(query, 'limit') || DEFAULT_LIMIT;
    const meta = query.get('meta') === 'true';
    const answer = (): boolean => {
      const r = log.read(group, limit);
      if (r.messages.length === 0 && !this.closing) return false;
      // MR commits the group's offset only once the answer was written out.
      res.on('close', () => {
        if (!res.writableFinished) log.unread(group, r);
      });
      sendJson(res, 200, meta ? r.messages.map((message, i) => ({ offset: r.from + i, message })) : r.messages);
      return true;
    };
    if (answer() || timeout === 0) {
      if (!res.headersSent) sendJson(res, 200, []);
      return;
    }
    const finish = (): void => {
      clearTimeout(timer);
      unwait();
      this.polls.delete(finishEmpty);
    };
    const finishEmpty = (): void => {
      finish();
      if (!res.headersSent) sendJson(res, 200, []);
    };
    // Set before the wait is registered, so a finish from either side finds it.
    const timer = setTimeout(finishEmpty, timeout);
    const unwait = log.wait(() => {
      if (!answer()) return false;
      finish();
      return true;
    });
    this.polls.add(finishEmpty);
    res.once('close', finish);
  }

  private async createTopic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, this.maxBody);
    if (!read.ok) return sendMrError(res, 413, MR_CODES.TOO_LARGE, 'Request too large.');
    let body: unknown;
    try {
      body = JSON.parse(read.body.toString('utf8'));
    } catch {
      return sendMrError(res, 400, MR_CODES.BAD_REQUEST, 'The body must be a JSON object with topicName.');
    }
    const name = (body as { topicName?: unknown } | null)?.topicName;
    if (typeof name !== 'string' || !TOPIC_RE.test(name)) {
      return sendMrError(
        res,
        400,
        MR_CODES.BAD_REQUEST,
        'topicName must be a legal topic name ([A-Za-z0-9._-]{1,249}).',
      );
    }
    const description = (body as { topicDescription?: unknown }).topicDescription;
    this.topic(name);
    sendJson(res, 200, topicInfo(name, typeof description === 'string' ? description : ''));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dmaap-dev');
    const method = req.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname
        .split('/')
        .filter((p) => p.length > 0)
        .map(decodeURIComponent);
    } catch {
      return sendMrError(res, 400, MR_CODES.BAD_REQUEST, `Malformed path: ${url.pathname}`);
    }
    const wrongMethod = (allowed: string): void => {
      res.setHeader('Allow', allowed);
      sendMrError(res, 405, MR_CODES.METHOD_NOT_ALLOWED, `Method ${method} not allowed on ${url.pathname}.`);
    };
    const ves = vesPathKind(parts);
    if (ves) {
      if (method !== 'POST') return wrongMethod('POST');
      return handleVesPost(req, res, ves, {
        maxBodyBytes: this.maxBody,
        publish: (topic, messages) => this.topic(topic).append(messages),
      });
    }
    if (parts[0] === 'events' && parts.length === 2) {
      if (method !== 'POST') return wrongMethod('POST');
      if (!TOPIC_RE.test(parts[1]))
        return sendMrError(res, 400, MR_CODES.BAD_REQUEST, `Illegal topic name: ${parts[1]}`);
      return this.publish(req, res, parts[1]);
    }
    if (parts[0] === 'events' && parts.length === 4) {
      if (method !== 'GET') return wrongMethod('GET');
      return this.consume(res, parts[1], parts[2], url.searchParams);
    }
    if (parts[0] === 'topics' && parts.length === 1) {
      if (method !== 'GET') return wrongMethod('GET');
      return sendJson(res, 200, { topics: [...this.topics.keys()] });
    }
    if (parts[0] === 'topics' && parts[1] === 'create' && parts.length === 2) {
      if (method !== 'POST') return wrongMethod('POST');
      return this.createTopic(req, res);
    }
    if (parts[0] === 'topics' && parts.length === 2) {
      if (method !== 'GET') return wrongMethod('GET');
      if (!this.topics.has(parts[1]))
        return sendMrError(res, 404, MR_CODES.RESOURCE_NOT_FOUND, `No such topic exists.-[${parts[1]}]`);
      return sendJson(res, 200, topicInfo(parts[1], ''));
    }
    sendMrError(res, 404, MR_CODES.RESOURCE_NOT_FOUND, `No such resource: ${method} ${url.pathname}`);
  }
}

function topicInfo(name: string, description: string): object {
  const acl = { enabled: false, users: [] };
  return { name, description, owner: '', txenabled: false, readerAcl: acl, writerAcl: acl };
}
