/**
 * The admin HTTP port (docs/admin-api.md): VIMs, subscriptions, MultiCloud's check_vim_status and VES agent API,
 * health, readiness and metrics. It speaks to the daemon only through RelayControl. Every answer
 * is redacted on the way out, and every failure is a catalogue error body.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import { RelayError } from '../errors.js';
import { createSchemaAjv, describeSchemaErrors } from '../util/schemas.js';
import type { Logger } from '../util/logger.js';
import { redactDeep, redactText } from '../util/redact.js';
import { installAudit } from './audit.js';
import { createBearerCheck } from './auth.js';
import { failure, toFailure, type ApiFailure } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { loadBundledOpenApi } from './openapi.js';
import { OPEN_PATHS, registerOpenRoutes } from './routes-open.js';
import { registerSubscriptionRoutes } from './routes-subscriptions.js';
import { registerVesAgentRoutes } from './routes-vesagent.js';
import { registerVimRoutes } from './routes-vims.js';
import { registerOpsRoutes } from './routes-ops.js';
import { RouteTable, type RouteEntry } from './route-table.js';

/**
 * Node's default accept backlog is 511: a burst of 1,000 new connections (a monitoring fleet, a
 * load balancer's pool) overflows it and the rest retry their SYN a second later, which is what
 * a p99 of seconds at 1,000 connections was. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

export { DEFAULT_BODY_LIMIT_BYTES } from './limits.js';
import { DEFAULT_BODY_LIMIT_BYTES } from './limits.js';

export interface AdminServerOptions {
  /** Interface to bind (admin.host). */
  readonly host: string;
  /** Port to bind (admin.port); 0 picks a free one, reported by listen(). */
  readonly port: number;
  /** admin.authToken; empty: the API needs no token. */
  readonly authToken: string;
  /** Largest request body accepted; default 1 MiB. */
  readonly bodyLimitBytes?: number;
  readonly logger: Logger;
}

export interface AdminServer {
  listen(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  /** Every route served (method and fastify path), e.g. for checking against openapi.json. */
  readonly routes: readonly RouteEntry[];
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}

/** For messages and logs: decoded, so that redaction also sees percent-encoded credentials. */
function readable(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function sendFailure(reply: FastifyReply, f: ApiFailure): FastifyReply {
  // Refused before its body was read (401, 413, 415): the rest of the body would still be on
  // the wire, so the connection cannot be reused and would hold up close(). End it.
  if (!reply.request.raw.complete) void reply.header('connection', 'close');
  return reply.code(f.status).type('application/json; charset=utf-8').send(f.body);
}

function installAuth(app: FastifyInstance, authToken: string): void {
  if (!authToken) return;
  const check = createBearerCheck(authToken);
  // Everything but the open probes needs the token, unknown paths too: a client without it
  // learns nothing about which routes exist.
  app.addHook('onRequest', async (req, reply) => {
    if (OPEN_PATHS.has(pathOf(req))) return;
    const outcome = check(req.headers.authorization);
    if (outcome === 'ok') return;
    void reply.header(
      'www-authenticate',
      outcome === 'wrong' ? 'Bearer realm="vim-event-relay", error="invalid_token"' : 'Bearer realm="vim-event-relay"',
    );
    throw new RelayError(
      'UNAUTHORIZED',
      outcome === 'wrong'
        ? 'the bearer token does not match admin.authToken'
        : 'send Authorization: Bearer <admin.authToken>',
    );
  });
}

/**
 * Objects (every JSON answer, errors included) are redacted key by key before serialisation; an
 * answer sent as text (the metrics) is redacted as text. Not both: once every string value of an
 * object is redacted, its JSON cannot hold a credential (a URL's user and password stop at a
 * quote), and the second pass over the whole body was a third of the admin port's CPU.
 */
function installRedaction(app: FastifyInstance, secrets: readonly string[]): void {
  const redactedAsObject = new WeakSet<FastifyReply>();
  // A frozen answer cannot change: its redacted copy is kept as long as the answer itself (the VIM
  // list is one frozen array per store state, asked for again and again).
  const frozen = new WeakMap<object, unknown>();
  app.addHook('preSerialization', (_req, reply, payload: unknown, done) => {
    redactedAsObject.add(reply);
    if (payload === null || typeof payload !== 'object' || !Object.isFrozen(payload))
      return done(null, redactDeep(payload, secrets));
    let redacted = frozen.get(payload);
    if (redacted === undefined) frozen.set(payload, (redacted = redactDeep(payload, secrets)));
    done(null, redacted);
  });
  app.addHook('onSend', (_req, reply, payload: unknown, done) => {
    done(null, typeof payload === 'string' && !redactedAsObject.has(reply) ? redactText(payload, secrets) : payload);
  });
}

/** JSON only: any other body is refused with 415 rather than handed to a route as a string. */
function installJsonOnly(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // DELETE takes no body; a client that sends its usual JSON Content-Type anyway is not refused.
    if (req.method === 'DELETE' && body === '') return done(null, undefined);
    try {
      return done(null, parseJsonBody(body as string));
    } catch (e) {
      return done(e as Error, undefined);
    }
  });
}

function installErrorHandling(app: FastifyInstance, table: RouteTable, bodyLimit: number, logger: Logger): void {
  app.setErrorHandler((error, req, reply) => {
    const f = toFailure(error, bodyLimit);
    if (f.unexpected) logger.error('admin request failed', { method: req.method, url: readable(req.url), error });
    return sendFailure(reply, f);
  });
  app.setNotFoundHandler((req, reply) => {
    const allowed = table.methodsFor(pathOf(req));
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendFailure(
        reply,
        failure(
          'METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${readable(pathOf(req))}; use ${allowed.join(' or ')}`,
        ),
      );
    }
    return sendFailure(
      reply,
      failure('NOT_FOUND', `no route ${req.method} ${readable(pathOf(req))}; GET /api/openapi.json lists the routes`),
    );
  });
}

function buildApp(control: RelayControl, opts: AdminServerOptions, table: RouteTable): FastifyInstance {
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = Fastify({
    logger: false,
    bodyLimit,
    exposeHeadRoutes: false,
    // fastify's own closing-time 503 body is not the {"error": {code, message}} form; requests that
    // arrive while closing are answered normally instead (readiness already reports the shutdown).
    return503OnClosing: false,
    // Room for the longest subscription id (128) so an over-long one gets a 400 naming it, not a 404.
    routerOptions: { maxParamLength: 256 },
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(describeSchemaErrors(errors, dataVar === 'querystring' ? 'query' : dataVar)),
    frameworkErrors: (error, _req, reply) => {
      void sendFailure(reply, toFailure(error, bodyLimit));
    },
  });
  const ajv = createSchemaAjv();
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
  installJsonOnly(app);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.add(method, route.url);
  });
  installAuth(app, opts.authToken);
  installRedaction(app, opts.authToken ? [opts.authToken] : []);
  installErrorHandling(app, table, bodyLimit, opts.logger);
  installAudit(app, control, opts.logger, opts.authToken ? [opts.authToken] : []);
  // The level is fixed at start: without debug, no per-request hook (and no log object) at all.
  if (opts.logger.isDebugEnabled()) {
    app.addHook('onResponse', async (req, reply) => {
      opts.logger.debug('admin request', {
        method: req.method,
        url: readable(req.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      });
    });
  }
  registerOpenRoutes(app, control, loadBundledOpenApi());
  registerVimRoutes(app, control);
  registerSubscriptionRoutes(app, control);
  registerVesAgentRoutes(app, control);
  registerOpsRoutes(app, control.ops);
  return app;
}

export function createAdminServer(control: RelayControl, opts: AdminServerOptions): AdminServer {
  const table = new RouteTable();
  const app = buildApp(control, opts, table);
  return {
    routes: table.list(),
    async listen() {
      await app.listen({ host: opts.host, port: opts.port, backlog: LISTEN_BACKLOG });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${port}`;
      opts.logger.debug(`admin API listening on ${url}`, { authRequired: Boolean(opts.authToken) });
      return { url, port };
    },
    async close() {
      await app.close();
    },
  };
}
