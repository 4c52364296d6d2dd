/** The event type and message_id of a dead letter's body, for listing; nulls when it is no notification. */
import { parseNotification } from '../../notifications/parse.js';

export function peekIdentity(body: Buffer): { eventType: string | null; messageId: string | null } {
  const p = parseNotification(body);
  return p.ok
    ? { eventType: p.notification.eventType, messageId: p.notification.messageId }
    : { eventType: null, messageId: null };
}
