/** Starts the admin server on 127.0.0.1 (a free port) over a FakeControl, for real-HTTP tests. */
import { createAdminServer, type AdminServer } from '../../../src/admin/server.js';
import { createLogger, type Logger } from '../../../src/util/logger.js';
import { FakeControl } from '../../helpers/fake-control.js';
import { PassThrough } from 'node:stream';

export interface Harness {
  readonly url: string;
  readonly control: FakeControl;
  readonly server: AdminServer;
  /** Everything the server logged, one JSON line each. */
  readonly logLines: () => string[];
  close(): Promise<void>;
}

export async function startAdmin(opts: { authToken?: string; bodyLimitBytes?: number; control?: FakeControl } = {}): Promise<Harness> {
  const control = opts.control ?? new FakeControl();
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (b: Buffer) => (log += b.toString()));
  const logger: Logger = createLogger({ level: 'debug', format: 'json', stream });
  const server = createAdminServer(control, {
    host: '127.0.0.1',
    port: 0,
    authToken: opts.authToken ?? '',
    ...(opts.bodyLimitBytes !== undefined ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    logger,
  });
  const { url } = await server.listen();
  return { url, control, server, logLines: () => log.split('\n').filter(Boolean), close: () => server.close() };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** fetch with a JSON body (unless `raw` is given) and the answer read in full. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string | Buffer; contentType?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const VIM = { transportUrl: 'rabbit://nova:s3cretPass@10.0.0.5:5672,nova:s3cretPass@10.0.0.6:5672/nova' };
