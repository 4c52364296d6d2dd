/** Health, readiness, metrics and the API description. */
import type { FastifyInstance } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import type { JsonObject } from '../util/schemas.js';

/**
 * Liveness and readiness never need a token or a client certificate: kubelet probes carry
 * neither. /metrics is open unless admin.metricsRequireToken (src/admin/access.ts).
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export function registerOpenRoutes(app: FastifyInstance, control: RelayControl, openApi: JsonObject): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // ?strict=1 judges the VIMs and destinations too, whatever admin.readiness says. What it does
  // not judge it still reports (`degraded`): a VIM, the store or a destination that is not well.
  app.get<{ Querystring: { strict?: string } }>('/readyz', async (req, reply) => {
    const strict = ['1', 'true'].includes(req.query.strict ?? '') ? true : undefined;
    const { ready, reasons } = control.readiness({ strict });
    const degraded = control.dependencyReasons().filter((r) => !reasons.includes(r));
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', reasons, ...(degraded.length ? { degraded } : {}) });
  });

  // Not open: behind the token like the rest of /api/. Always 200: it reports, it does not gate.
  app.get('/api/v1/status', async () => {
    // Strict readiness's reasons: the process's own, then its dependencies'.
    const own = control.readiness({ strict: false });
    const reasons = [...own.reasons, ...control.dependencyReasons()];
    return { status: reasons.length === 0 ? 'ok' : 'degraded', ready: own.ready, reasons };
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await control.metrics.metrics();
    return reply.type(control.metrics.contentType).send(text);
  });

  app.get('/api/openapi.json', async () => openApi);
}
