export { parseNotification, type ParseResult } from './parse.js';
export { toIsoUtc, toLegacyDate, type LegacyDateForm } from './time.js';
export type { Notification, NotificationFormat } from './types.js';
