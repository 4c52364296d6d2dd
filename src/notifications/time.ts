/**
 * Dates as nova writes them. One notification can mix forms: oslo's timestamp is Python
 * `str(datetime.utcnow())` ("2016-03-31 14:44:15.671326", naive, fraction dropped when zero),
 * legacy payloads use `str(aware datetime)` ("2016-08-17 13:53:23+00:00") for created_at and
 * `utils.strtime` ("2012-11-03T17:54:48.000000") for the other dates, and versioned payloads
 * use oslo `isotime` ("2012-10-29T13:42:11Z"). A zone-less value is UTC: nova only stores UTC.
 */

const NOVA_DATE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** A date-time already shifted to UTC, as numbers (no Date: this runs for every date of every message). */
interface UtcInstant {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** The fractional-second digits as written ("" when none). */
  readonly fraction: string;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Proleptic Gregorian, as Date and Python count. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
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
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const fraction = m[7] ?? '';
  const offset = offsetMinutes(m[8]);
  if (offset === null || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (offset === 0) return { year, month, day, hour, minute, second, fraction };
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offset, second, 0);
  const y = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || y < 0 || y > 9999) return null;
  return {
    year: y,
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    fraction,
  };
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

function datePart(t: UtcInstant): string {
  return `${String(t.year).padStart(4, '0')}-${pad2(t.month)}-${pad2(t.day)}`;
}

function timePart(t: UtcInstant): string {
  return `${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
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
  return `${datePart(t)}T${timePart(t)}${fraction}Z`;
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
  if (form === 'strtime') return `${datePart(t)}T${timePart(t)}.${us}`;
  const fraction = Number(us) === 0 ? '' : `.${us}`;
  return `${datePart(t)} ${timePart(t)}${fraction}+00:00`;
}
