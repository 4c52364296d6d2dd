/**
 * Dates as nova writes them. One notification can mix forms: oslo's timestamp is Python
 * `str(datetime.utcnow())` ("2016-03-31 14:44:15.671326", naive, fraction dropped when zero),
 * legacy payloads use `str(aware datetime)` ("2016-08-17 13:53:23+00:00") for created_at and
 * `utils.strtime` ("2012-11-03T17:54:48.000000") for the other dates, and versioned payloads
 * use oslo `isotime` ("2012-10-29T13:42:11Z"). A zone-less value is UTC: nova only stores UTC.
 */

const NOVA_DATE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

interface UtcInstant {
  /** Whole seconds, already shifted to UTC. */
  readonly date: Date;
  /** The fractional-second digits as written ("" when none). */
  readonly fraction: string;
}

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

function offsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4));
  if (hours > 23 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function parseInstant(text: string): UtcInstant | null {
  const m = NOVA_DATE.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offset = offsetMinutes(m[8]);
  if (offset === null || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offset, second, 0);
  const y = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || y < 0 || y > 9999) return null;
  return { date, fraction: m[7] ?? '' };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function datePart(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function timePart(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Python datetimes carry microseconds: six digits, padded or cut. */
function micros(fraction: string): string {
  return fraction.padEnd(6, '0').slice(0, 6);
}

/**
 * Any date form nova writes -> ISO 8601 UTC with `Z`, keeping the fractional digits that
 * were given (so `.000000` stays). Null when the text is not such a date.
 */
export function toIsoUtc(text: string): string | null {
  const t = parseInstant(text);
  if (!t) return null;
  const fraction = t.fraction ? `.${t.fraction}` : '';
  return `${datePart(t.date)}T${timePart(t.date)}${fraction}Z`;
}

/**
 * The two date forms of nova's legacy payload (`info_from_instance`):
 * - `str`: `str(instance.created_at)`, an aware datetime: "2012-10-29 13:42:11+00:00",
 *   with ".ffffff" only when the microseconds are not zero (Python's rule);
 * - `strtime`: `utils.strtime`, "%Y-%m-%dT%H:%M:%S.%f": "2012-10-29T13:42:11.000000".
 */
export type LegacyDateForm = 'str' | 'strtime';

/**
 * A versioned date (or null) in the legacy form. Absent dates are "" because legacy
 * nova's `null_safe_isotime` wrote "" for None. Null when the value is not a date.
 */
export function toLegacyDate(value: unknown, form: LegacyDateForm): string | null {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value !== 'string') return null;
  const t = parseInstant(value);
  if (!t) return null;
  const us = micros(t.fraction);
  if (form === 'strtime') return `${datePart(t.date)}T${timePart(t.date)}.${us}`;
  const fraction = Number(us) === 0 ? '' : `.${us}`;
  return `${datePart(t.date)} ${timePart(t.date)}${fraction}+00:00`;
}
