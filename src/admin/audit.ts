/**
 * The audit trail of the admin port: one info line "admin change" per change that succeeded,
 * saying what changed (`what`), its value before (`old`) and after (`new`), each null when it
 * did not exist, and the client's address. Values come from RelayControl's views, which carry no
 * password; the line is redacted again on the way out (the logger masks the configured secrets).
 * A refused request changes nothing and logs nothing here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RelayControl } from '../daemon/control.js';
import type { Logger } from '../util/logger.js';
import { redactDeep } from '../util/redact.js';
import { VESAGENT_PREFIXES } from './routes-vesagent.js';

interface Subject {
  readonly kind: 'vim' | 'subscription' | 'vesagent';
  readonly id: string;
  read(): unknown;
}

/** The VIM as configured: its listener's status is not part of a change. */
function vimSpec(control: RelayControl, id: string): unknown {
  const v = control.getVim(id);
  if (!v) return null;
  const { status: _s, statusSince: _t, statusReason: _r, ...spec } = v;
  return spec;
}

/** What a route changes, by its fastify path; undefined for routes that change nothing. */
function subjectOf(
  control: RelayControl,
  route: string | undefined,
  params: Record<string, string>,
): Subject | undefined {
  if (route === '/api/v1/vims/:vimId')
    return { kind: 'vim', id: params.vimId, read: () => vimSpec(control, params.vimId) };
  if (route === '/api/v1/subscriptions/:id')
    return { kind: 'subscription', id: params.id, read: () => control.getSubscription(params.id) ?? null };
  if (route && VESAGENT_PREFIXES.some((p) => route === `${p}/:vimId/vesagent`))
    return { kind: 'vesagent', id: params.vimId, read: () => control.getVesAgent(params.vimId) ?? null };
  return undefined;
}

const CHANGES = new Set(['PUT', 'POST', 'DELETE']);

function verb(old: unknown, now: unknown): string {
  if (old === null) return now === null ? 'deleted (was absent)' : 'created';
  return now === null ? 'deleted' : 'replaced';
}

export function installAudit(
  app: FastifyInstance,
  control: RelayControl,
  logger: Logger,
  /** The admin port's live tokens (admin and read, as rotated from their files), masked in every line. */
  secrets: () => readonly string[],
): void {
  const before = new WeakMap<FastifyRequest, { subject: Subject; old: unknown }>();
  // After validation (a 400 never gets here), before the handler changes anything.
  app.addHook('preHandler', async (req) => {
    if (!CHANGES.has(req.method)) return;
    const subject = subjectOf(control, req.routeOptions.url, req.params as Record<string, string>);
    if (subject) before.set(req, { subject, old: subject.read() });
  });
  app.addHook('onResponse', async (req, reply) => {
    const b = before.get(req);
    if (!b || reply.statusCode >= 300) return;
    const now = b.subject.read();
    const line = {
      what: `${b.subject.kind} ${b.subject.id} ${verb(b.old, now)}`,
      old: b.old,
      new: now,
      method: req.method,
      url: req.url,
      client: req.ip,
    };
    logger.info('admin change', redactDeep(line, secrets()));
  });
}
