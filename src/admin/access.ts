/**
 * The admin port's door: client certificates (admin.tls.clientCaFile), then bearer tokens by
 * role (auth.ts). A refusal is a catalogue error (401 UNAUTHORIZED, 403 FORBIDDEN), is counted
 * in vim_event_relay_admin_auth_failures_total{reason}, and is logged, at most one line per
 * LOG_EVERY_MS with the number of refusals not logged since: a client retrying a bad token in a
 * loop must not flood the log. The presented token is never logged, not even in part.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { adminAuthFailuresCounter } from '../daemon/metrics.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { roleFor, type Tokens, type Verdict } from './auth.js';
import { PROBE_PATHS } from './routes-open.js';

const LOG_EVERY_MS = 10_000;

export interface AccessOptions {
  readonly tokens: Tokens;
  /** admin.metricsRequireToken: /metrics needs the read (or admin) token. */
  readonly metricsRequireToken: boolean;
  /** admin.tls.clientCaFile is set: every request but the probes needs a client certificate it signed. */
  readonly clientCertificates: boolean;
  readonly registry: Registry;
  readonly logger: Logger;
}

type Reason = Exclude<Verdict, 'ok'> | 'client_certificate';

/** The request's path, without its query string. */
export function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}

/** Logs the first refusal, then at most one a LOG_EVERY_MS with how many went unlogged. */
function refusalLog(logger: Logger, now: () => number = Date.now): (req: FastifyRequest, reason: Reason) => void {
  let last = -Infinity;
  let unlogged = 0;
  return (req, reason) => {
    if (now() - last < LOG_EVERY_MS) {
      unlogged++;
      return;
    }
    last = now();
    logger.warn('admin request refused', {
      code: reason === 'forbidden' ? 'FORBIDDEN' : 'UNAUTHORIZED',
      reason,
      method: req.method,
      path: redactText(pathOf(req)),
      remote: req.socket.remoteAddress,
      ...(unlogged ? { refusedSinceLastLine: unlogged } : {}),
    });
    unlogged = 0;
  };
}

function refusal(reason: Reason): RelayError {
  switch (reason) {
    case 'client_certificate':
      return new RelayError(
        'UNAUTHORIZED',
        'a client certificate signed by the CA in admin.tls.clientCaFile is required; present one (curl --cert ... --key ...)',
      );
    case 'forbidden':
      return new RelayError(
        'FORBIDDEN',
        'the read token cannot change anything; send the admin token (admin.authToken)',
      );
    case 'wrong':
      return new RelayError('UNAUTHORIZED', 'the bearer token matches neither admin.authToken nor admin.readToken');
    case 'missing':
      return new RelayError(
        'UNAUTHORIZED',
        'send Authorization: Bearer <token> (admin.authToken, or admin.readToken to read)',
      );
  }
}

const CHALLENGE = 'Bearer realm="vim-event-relay"';

export function installAccess(app: FastifyInstance, opts: AccessOptions): void {
  const refused = adminAuthFailuresCounter(opts.registry);
  const log = refusalLog(opts.logger);
  app.addHook('onRequest', async (req, reply) => {
    const path = pathOf(req);
    if (PROBE_PATHS.has(path)) return;
    let reason: Reason | undefined;
    // With rejectUnauthorized off (so that probes get through), Node still verifies what a client presents.
    if (opts.clientCertificates && !(req.raw.socket as TLSSocket).authorized) reason = 'client_certificate';
    else if (path !== '/metrics' || opts.metricsRequireToken) {
      const verdict = opts.tokens.check(req.headers.authorization, roleFor(req.method, req.routeOptions.url));
      if (verdict !== 'ok') reason = verdict;
    }
    if (!reason) return;
    refused.inc({ reason });
    log(req, reason);
    if (reason !== 'forbidden' && reason !== 'client_certificate')
      void reply.header('www-authenticate', reason === 'wrong' ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE);
    throw refusal(reason);
  });
}
