/** Health, readiness, metrics and the API description. */
import type { FastifyInstance } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import type { JsonObject } from '../util/schemas.js';

/** Paths that never need the bearer token: probes and scrapers carry no credentials. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

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
