/**
 * The operator's tools on a VIM: GET /api/v1/vims/{vimId}/recent (the last decisions, filtered
 * ones included, with the reason) and POST /api/v1/vims/{vimId}/explain (a notification body
 * through the live subscriptions: what would be sent where, and why not). Read-only.
 */
import type { FastifyInstance } from 'fastify';
import type { OpsControl } from '../daemon/ops-control.js';
import { RelayError } from '../errors.js';
import { unknownVim } from './errors.js';
import { vimIdParams } from './route-schemas.js';

interface VimParams {
  vimId: string;
}

/** A notification in any form the relay reads: an oslo wire body, an envelope, a bare message. */
const notificationBody = { type: 'object' } as const;

export function registerOpsRoutes(app: FastifyInstance, ops: OpsControl | undefined): void {
  if (!ops) return;
  app.get<{ Params: VimParams }>('/api/v1/vims/:vimId/recent', { schema: { params: vimIdParams } }, async (req) => {
    const recent = ops.recent(req.params.vimId);
    if (!recent) throw unknownVim(req.params.vimId);
    return recent;
  });

  app.post<{ Params: VimParams; Body: Record<string, unknown> }>(
    '/api/v1/vims/:vimId/explain',
    { schema: { params: vimIdParams, body: notificationBody } },
    async (req) => {
      const p = await ops.explain(req.params.vimId, Buffer.from(JSON.stringify(req.body)));
      if (!p) throw unknownVim(req.params.vimId);
      if (!p.ok)
        throw new RelayError(
          'VALIDATION_FAILED',
          `the body is not a notification the relay can read (${p.error.code}): ${p.error.message}`,
        );
      const { ok: _ok, ...explained } = p;
      return { vim: req.params.vimId, ...explained };
    },
  );

  registerDeadLetterRoutes(app, ops);
}

const limitQuery = {
  type: 'object',
  // The admin port's validator does not coerce: the query's digits stay a string.
  properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' } },
  additionalProperties: false,
} as const;
const redriveBody = {
  type: 'object',
  properties: {
    ids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 10000 },
    all: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;
const DEFAULT_LIMIT = 100;

/** GET .../deadletters[?limit=], GET .../deadletters/{id}, POST .../deadletters/redrive. */
function registerDeadLetterRoutes(app: FastifyInstance, ops: OpsControl): void {
  app.get<{ Params: VimParams; Querystring: { limit?: string } }>(
    '/api/v1/vims/:vimId/deadletters',
    { schema: { params: vimIdParams, querystring: limitQuery } },
    async (req) => {
      const list = await ops.deadLetters(req.params.vimId, Number(req.query.limit ?? DEFAULT_LIMIT));
      if (!list) throw unknownVim(req.params.vimId);
      return list;
    },
  );

  app.get<{ Params: VimParams & { id: string }; Querystring: { limit?: string } }>(
    '/api/v1/vims/:vimId/deadletters/:id',
    { schema: { params: vimIdParams, querystring: limitQuery } },
    async (req) => {
      const limit = Number(req.query.limit ?? DEFAULT_LIMIT);
      const one = await ops.deadLetter(req.params.vimId, req.params.id, limit);
      if (one === undefined) throw unknownVim(req.params.vimId);
      if (one === null)
        throw new RelayError(
          'NOT_FOUND',
          `no dead letter "${req.params.id}" among the first ${limit} of VIM ${req.params.vimId}; GET .../deadletters lists them (?limit= for more)`,
        );
      return one;
    },
  );

  app.post<{ Params: VimParams; Body: { ids?: string[]; all?: boolean } }>(
    '/api/v1/vims/:vimId/deadletters/redrive',
    { schema: { params: vimIdParams, body: redriveBody } },
    async (req) => {
      const { ids, all } = req.body;
      if (!all && !ids?.length)
        throw new RelayError('VALIDATION_FAILED', 'body needs "ids" (from GET .../deadletters) or "all": true');
      const r = await ops.redrive(req.params.vimId, { ids, all }, req.ip);
      if (!r) throw unknownVim(req.params.vimId);
      return r;
    },
  );
}
