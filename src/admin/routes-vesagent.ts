/**
 * MultiCloud's VES agent control API (fcaps/fcaps/vesagent/vesagent_ctrl.py), drop-in: the
 * same paths under multicloud-vio and multicloud-fcaps, the same body and answers. POST creates
 * or replaces (201 either way, as MultiCloud answers), GET reads, DELETE removes (200, also when
 * there was nothing to remove, as MultiCloud). Passwords never come back.
 */
import type { FastifyInstance } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import { RelayError } from '../errors.js';
import { unknownVim } from './errors.js';
import type { VesAgentConfigInput } from '../model/ves.js';
import { vesAgentBody, vimIdParams } from './route-schemas.js';

export const VESAGENT_PREFIXES = ['/api/multicloud-vio/v0', '/api/multicloud-fcaps/v0'] as const;

interface Params {
  vimId: string;
}

export function registerVesAgentRoutes(app: FastifyInstance, control: RelayControl): void {
  for (const prefix of VESAGENT_PREFIXES) {
    const url = `${prefix}/:vimId/vesagent`;
    app.get<{ Params: Params }>(url, { schema: { params: vimIdParams } }, async (req) => {
      const { vimId } = req.params;
      if (!control.getVim(vimId)) throw unknownVim(vimId);
      const view = control.getVesAgent(vimId);
      if (!view)
        throw new RelayError(
          'NOT_FOUND',
          `VIM "${vimId}" has no VES agent configuration; POST one to ${prefix}/${vimId}/vesagent`,
        );
      return view;
    });

    app.post<{ Params: Params; Body: { vesagent_config: VesAgentConfigInput } }>(
      url,
      { schema: { params: vimIdParams, body: vesAgentBody } },
      async (req, reply) => {
        const view = await control.putVesAgent(req.params.vimId, req.body.vesagent_config);
        return reply.code(201).send(view);
      },
    );

    app.delete<{ Params: Params }>(url, { schema: { params: vimIdParams } }, async (req, reply) => {
      const { vimId } = req.params;
      if (!control.getVim(vimId)) throw unknownVim(vimId);
      await control.deleteVesAgent(vimId);
      return reply.code(200).send();
    });
  }
}
