/**
 * The admin HTTP port (docs/admin-api.md): VIMs, subscriptions, MultiCloud's check_vim_status and VES agent API,
 * health, readiness and metrics. It speaks to the daemon only through RelayControl. Every answer
 * is redacted on the way out, and every failure is a catalogue error body.
 */
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { SecretFile } from '../config/secret-files.js';
import type { RelayControl } from '../daemon/control.js';
import { createSchemaAjv, describeSchemaErrors } from '../util/schemas.js';
import type { Logger } from '../util/logger.js';
import { redactDeep, redactText } from '../util/redact.js';
import type { FileWatcher } from '../util/watch-files.js';
import { installAccess, pathOf } from './access.js';
import { Tokens } from './auth.js';
import { installAudit } from './audit.js';
import { failure, toFailure, type ApiFailure } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { loadBundledOpenApi } from './openapi.js';
import { registerOpenRoutes } from './routes-open.js';
import { registerSubscriptionRoutes } from './routes-subscriptions.js';
import { registerVesAgentRoutes } from './routes-vesagent.js';
import { registerVimRoutes } from './routes-vims.js';
import { registerOpsRoutes } from './routes-ops.js';
import { RouteTable, type RouteEntry } from './route-table.js';
import { loadTlsMaterial, tlsEnabled, type AdminTlsConfig, type TlsMaterial } from '../config/admin-tls.js';
import { DEFAULT_RELOAD_CHECK_MS, watchCertificate, watchTokenFile } from './tls-reload.js';

/**
 * Node's default accept backlog is 511: a burst of 1,000 new connections (a monitoring fleet, a
 * load balancer's pool) overflows it and the rest retry their SYN a second later, which is what
 * a p99 of seconds at 1,000 connections was. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

import { DEFAULT_BODY_LIMIT_BYTES } from '../config/schema.js';

export interface AdminServerOptions {
  /** Interface to bind (admin.host). */
  readonly host: string;
  /** Port to bind (admin.port); 0 picks a free one, reported by listen(). */
  readonly port: number;
  /** admin.authToken, the admin role's token; empty: the API needs no token. */
  readonly authToken: string;
  /** admin.readToken: reads only (auth.ts); empty = none. */
  readonly readToken?: string;
  /** admin.metricsRequireToken: /metrics needs a token too. */
  readonly metricsRequireToken?: boolean;
  /** admin.tls.*: all empty = plain HTTP. */
  readonly tls?: AdminTlsConfig;
  /** The files the tokens came from (secret-files.ts), read again when they change. */
  readonly tokenFiles?: { readonly admin?: SecretFile; readonly read?: SecretFile };
  /** How often changed certificate and token files are looked for besides file-system events (ms). */
  readonly reloadCheckMs?: number;
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

/**
 * Objects (every JSON answer, errors included) are redacted key by key before serialisation; an
 * answer sent as text (the metrics) is redacted as text. Not both: once every string value of an
 * object is redacted, its JSON cannot hold a credential (a URL's user and password stop at a
 * quote), and the second pass over the whole body was a third of the admin port's CPU.
 */
function installRedaction(app: FastifyInstance, secrets: () => readonly string[]): void {
  const redactedAsObject = new WeakSet<FastifyReply>();
  // A frozen answer cannot change: its redacted copy is kept as long as the answer itself (the VIM
  // list is one frozen array per store state, asked for again and again).
  const frozen = new WeakMap<object, unknown>();
  app.addHook('preSerialization', (_req, reply, payload: unknown, done) => {
    redactedAsObject.add(reply);
    if (payload === null || typeof payload !== 'object' || !Object.isFrozen(payload))
      return done(null, redactDeep(payload, secrets()));
    let redacted = frozen.get(payload);
    if (redacted === undefined) frozen.set(payload, (redacted = redactDeep(payload, secrets())));
    done(null, redacted);
  });
  app.addHook('onSend', (_req, reply, payload: unknown, done) => {
    done(null, typeof payload === 'string' && !redactedAsObject.has(reply) ? redactText(payload, secrets()) : payload);
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

function buildApp(
  control: RelayControl,
  opts: AdminServerOptions,
  table: RouteTable,
  tokens: Tokens,
  tls: TlsMaterial | undefined,
): FastifyInstance {
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // With a client CA, the certificate is asked for but its absence is judged per request (access.ts), so probes pass.
  const https = tls && { ...tls.options, requestCert: Boolean(opts.tls?.clientCaFile), rejectUnauthorized: false };
  const app = Fastify({
    ...(https ? { https } : {}),
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
  installAccess(app, {
    tokens,
    metricsRequireToken: opts.metricsRequireToken ?? false,
    clientCertificates: Boolean(tls && opts.tls?.clientCaFile),
    registry: control.metrics,
    logger: opts.logger,
  });
  const secrets = (): readonly string[] => tokens.secrets();
  installRedaction(app, secrets);
  installErrorHandling(app, table, bodyLimit, opts.logger);
  installAudit(app, control, opts.logger, secrets);
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

/** Starts reading the certificate and token files again when they change. */
async function watchSecrets(
  app: FastifyInstance,
  opts: AdminServerOptions,
  tokens: Tokens,
  tls: boolean,
): Promise<FileWatcher[]> {
  const every = opts.reloadCheckMs ?? DEFAULT_RELOAD_CHECK_MS;
  const watchers: Promise<FileWatcher>[] = [];
  if (tls && opts.tls) watchers.push(watchCertificate(app.server as HttpsServer, opts.tls, opts.logger, every));
  for (const role of ['admin', 'read'] as const) {
    const source = opts.tokenFiles?.[role];
    if (source) watchers.push(watchTokenFile(role, source, tokens, opts.logger, every));
  }
  return Promise.all(watchers);
}

/** Throws CONFIG_INVALID (naming the admin.tls key and the fix) when the TLS files cannot be used. */
export function createAdminServer(control: RelayControl, opts: AdminServerOptions): AdminServer {
  const table = new RouteTable();
  const tokens = new Tokens({ admin: opts.authToken, read: opts.readToken ?? '' });
  const tls = tlsEnabled(opts.tls) ? loadTlsMaterial(opts.tls) : undefined;
  const app = buildApp(control, opts, table, tokens, tls);
  let watchers: FileWatcher[] = [];
  return {
    routes: table.list(),
    async listen() {
      await app.listen({ host: opts.host, port: opts.port, backlog: LISTEN_BACKLOG });
      watchers = await watchSecrets(app, opts, tokens, Boolean(tls));
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
      opts.logger.debug(`admin API listening on ${url}`, {
        authRequired: tokens.required,
        ...(tls ? { certificate: tls.summary, clientCertificates: Boolean(opts.tls?.clientCaFile) } : {}),
      });
      return { url, port };
    },
    async close() {
      for (const w of watchers) w.close();
      await app.close();
    },
  };
}
