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

  app.get('/readyz', async (_req, reply) => {
    const { ready, reasons } = control.readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', reasons });
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await control.metrics.metrics();
    return reply.type(control.metrics.contentType).send(text);
  });

  app.get('/api/openapi.json', async () => openApi);
}
