/**
 * Readable, secret-free text for whatever rhea reports: AmqpError objects (condition +
 * description), rhea's composite error values on session ends, socket Errors.
 */
import { redactText } from '../../util/redact.js';

export function describeAmqpError(e: unknown, fallback: string): string {
  if (e === undefined || e === null) return fallback;
  if (typeof e === 'string') return redactText(e);
  const err = e as { condition?: unknown; description?: unknown; message?: unknown };
  const condition = typeof err.condition === 'string' ? err.condition : undefined;
  const description = typeof err.description === 'string' ? err.description : undefined;
  if (condition || description) return redactText([condition, description].filter(Boolean).join(': '));
  if (typeof err.message === 'string' && err.message !== '') return redactText(err.message);
  return fallback;
}
