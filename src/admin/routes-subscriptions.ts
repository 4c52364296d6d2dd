/**
 * /api/v1/subscriptions and MultiCloud's check_vim_status: both speak in states, which are
 * case-insensitive on input and upper-case from here on.
 */
import type { FastifyInstance } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import { RelayError } from '../errors.js';
import { unknownVim } from './errors.js';
import type { Subscription } from '../model/subscription.js';
import {
  checkVimStatusBody,
  subscriptionBody,
  subscriptionIdParams,
  subscriptionListQuery,
  vimIdParams,
} from './route-schemas.js';
import { knownStatesOrRefuse } from './states.js';

type SubscriptionBody = Omit<Subscription, 'id'> & { readonly id?: string };
interface IdParams {
  id: string;
}

function notFound(id: string): RelayError {
  return new RelayError(
    'NOT_FOUND',
    `subscription "${id}" does not exist; GET /api/v1/subscriptions lists those that do`,
  );
}

export function registerSubscriptionRoutes(app: FastifyInstance, control: RelayControl): void {
  app.get<{ Querystring: { vimId?: string } }>(
    '/api/v1/subscriptions',
    { schema: { querystring: subscriptionListQuery } },
    async (req) => control.listSubscriptions(req.query.vimId),
  );

  app.get<{ Params: IdParams }>(
    '/api/v1/subscriptions/:id',
    { schema: { params: subscriptionIdParams } },
    async (req) => {
      const sub = control.getSubscription(req.params.id);
      if (!sub) throw notFound(req.params.id);
      return sub;
    },
  );

  app.put<{ Params: IdParams; Body: SubscriptionBody }>(
    '/api/v1/subscriptions/:id',
    { schema: { params: subscriptionIdParams, body: subscriptionBody } },
    async (req, reply) => {
      const { id: pathId } = req.params;
      const { id, ...spec } = req.body;
      if (id !== undefined && id !== pathId) {
        throw new RelayError(
          'VALIDATION_FAILED',
          `body.id "${id}" differs from the id "${pathId}" in the path; leave it out or make them equal`,
        );
      }
      const states = knownStatesOrRefuse(spec.states, 'body.states');
      const { created, subscription, warnings } = await control.putSubscription(pathId, { ...spec, states });
      if (created) void reply.header('location', `/api/v1/subscriptions/${pathId}`);
      // Stored all the same (the topic may be on its way); the answer says what will not deliver yet.
      return reply.code(created ? 201 : 200).send(warnings?.length ? { ...subscription, warnings } : subscription);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/v1/subscriptions/:id',
    { schema: { params: subscriptionIdParams } },
    async (req, reply) => {
      if (!(await control.deleteSubscription(req.params.id))) throw notFound(req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { vimId: string }; Body: { states: string[] } }>(
    '/api/multicloud-vio/v0/:vimId/check_vim_status',
    { schema: { params: vimIdParams, body: checkVimStatusBody } },
    async (req) => {
      const changes = await control.recentStateChanges(
        req.params.vimId,
        knownStatesOrRefuse(req.body.states, 'body.states'),
      );
      if (!changes) throw unknownVim(req.params.vimId);
      return changes;
    },
  );
}
