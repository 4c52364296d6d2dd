/** Real nova fixtures as parsed Notifications, and VES agent records, for the VES unit tests. */
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import type { VesAgentRecord, VesBacklog } from '../../../src/model/ves.js';
import { expandVersioned, legacySample, loadJson, toWireV2, type Sample } from '../../helpers/fixtures.js';

export const AT = new Date(Date.UTC(2026, 10, 22, 0, 30, 12, 345));
export const AT_MICROS = AT.getTime() * 1000;

function parse(body: unknown): Notification {
  const r = parseNotification(Buffer.from(JSON.stringify(body)));
  if (!r.ok) throw r.error;
  return r.notification;
}

/** A versioned nova sample (doc/notification_samples), $refs expanded, on the wire as nova sends it. */
export function versioned(file: string, messageId = `m-${file}`, at: Date = AT): Notification {
  return parse(toWireV2(expandVersioned(file), { messageId, timestamp: at }));
}

/** A legacy sample from test/fixtures/nova-legacy, optionally with payload fields changed. */
export function legacy(
  rel: string,
  payload: Record<string, unknown> = {},
  messageId = `m-${rel}`,
  at: Date = AT,
): Notification {
  const s: Sample = legacySample(rel);
  return parse(toWireV2({ ...s, payload: { ...s.payload, ...payload } }, { messageId, timestamp: at }));
}

/** The captured oslo wire body of compute.instance.power_off.end (vm-0000, stopped). */
export function wirePowerOff(): Notification {
  return parse(loadJson('oslo-wire/sample-wire-legacy-messagingv2.json').body);
}

export function backlog(b: Partial<VesBacklog> = {}): VesBacklog {
  return { backlog_uuid: '3f0c1d9e-8c4b-4f5e-9a53-6f1d2a7b8c90', domain: 'fault', type: 'vm', ...b };
}

export function agent(backlogs: VesBacklog[] = [backlog()]): VesAgentRecord {
  return {
    ves_subscription: { endpoint: 'http://127.0.0.1:9/eventListener/v7' },
    backlogs,
    updatedAt: AT.toISOString(),
  };
}
