/** /api/v1/vims: list, read (with listener status), create or replace, remove. */
import type { FastifyInstance } from 'fastify';
import type { VimSpec } from '../config/vim.js';
import type { RelayControl } from '../daemon/control.js';
import { RelayError } from '../errors.js';
import { unknownVim } from './errors.js';
import { vimBody, vimIdParams } from './route-schemas.js';

type VimBody = Omit<VimSpec, 'id'> & { readonly id?: string };
interface VimParams {
  vimId: string;
}

/** ?purge=true also deletes the VIM's queue and dead-letter queue on its broker (default: only unbind it). */
const purgeQuery = {
  type: 'object',
  // The admin port's validator does not coerce: a query string's "true" stays a string.
  properties: { purge: { enum: ['true', 'false'] } },
  additionalProperties: false,
} as const;

export function registerVimRoutes(app: FastifyInstance, control: RelayControl): void {
  app.get('/api/v1/vims', async () => control.listVims());

  app.get<{ Params: VimParams }>('/api/v1/vims/:vimId', { schema: { params: vimIdParams } }, async (req) => {
    const vim = control.getVim(req.params.vimId);
    if (!vim) throw unknownVim(req.params.vimId);
    return vim;
  });

  app.put<{ Params: VimParams; Body: VimBody }>(
    '/api/v1/vims/:vimId',
    { schema: { params: vimIdParams, body: vimBody } },
    async (req, reply) => {
      const { vimId } = req.params;
      const { id, ...spec } = req.body;
      if (id !== undefined && id !== vimId) {
        throw new RelayError(
          'VALIDATION_FAILED',
          `body.id "${id}" differs from the vimId "${vimId}" in the path; leave it out or make them equal`,
        );
      }
      const { created, vim } = await control.putVim(vimId, spec);
      if (created) void reply.header('location', `/api/v1/vims/${vimId}`);
      return reply.code(created ? 201 : 200).send(vim);
    },
  );

  app.delete<{ Params: VimParams; Querystring: { purge?: 'true' | 'false' } }>(
    '/api/v1/vims/:vimId',
    { schema: { params: vimIdParams, querystring: purgeQuery } },
    async (req, reply) => {
      if (!(await control.deleteVim(req.params.vimId, { purge: req.query.purge === 'true' })))
        throw unknownVim(req.params.vimId);
      return reply.code(204).send();
    },
  );
}
