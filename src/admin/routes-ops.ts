/**
 * The operator's tools on a VIM: GET /api/v1/vims/{vimId}/recent (the last decisions, filtered
 * ones included, with the reason) and POST /api/v1/vims/{vimId}/explain (a notification body
 * through the live subscriptions: what would be sent where, and why not). Read-only.
 */
import type { FastifyInstance } from 'fastify';
import type { OpsControl } from '../daemon/ops-control.js';
import { RelayError } from '../errors.js';
import { vimIdParams } from './route-schemas.js';

interface VimParams {
  vimId: string;
}

function notFound(vimId: string): RelayError {
  return new RelayError('NOT_FOUND', `VIM "${vimId}" is not registered; GET /api/v1/vims lists those that are`);
}

/** A notification in any form the relay reads: an oslo wire body, an envelope, a bare message. */
const notificationBody = { type: 'object' } as const;

export function registerOpsRoutes(app: FastifyInstance, ops: OpsControl | undefined): void {
  if (!ops) return;
  app.get<{ Params: VimParams }>('/api/v1/vims/:vimId/recent', { schema: { params: vimIdParams } }, async (req) => {
    const recent = ops.recent(req.params.vimId);
    if (!recent) throw notFound(req.params.vimId);
    return recent;
  });

  app.post<{ Params: VimParams; Body: Record<string, unknown> }>(
    '/api/v1/vims/:vimId/explain',
    { schema: { params: vimIdParams, body: notificationBody } },
    async (req) => {
      const p = await ops.explain(req.params.vimId, Buffer.from(JSON.stringify(req.body)));
      if (!p) throw notFound(req.params.vimId);
      if (!p.ok)
        throw new RelayError(
          'VALIDATION_FAILED',
          `the body is not a notification the relay can read (${p.error.code}): ${p.error.message}`,
        );
      const { ok: _ok, ...explained } = p;
      return { vim: req.params.vimId, ...explained };
    },
  );
}
