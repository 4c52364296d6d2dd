/**
 * The filtered fast path's reader: an oslo 2.0 envelope's event type (and, where it matters,
 * priority), read from the head of the `oslo.message` text without parsing the message.
 *
 * In a real cloud most notifications match nothing (hourly `compute.instance.exists` of every
 * VM, `update`s without a state change, `.start` events), and JSON.parse of the message text is
 * the largest single cost of each. oslo writes the message's keys in one order (message_id,
 * publisher_id, event_type, priority, payload, timestamp), so the event type and priority are in
 * its first hundred or so characters. peekHead() reads the top-level members up to them, and
 * restIsSilent() makes sure with one search of the rest that no later member can give either
 * again (JSON.parse keeps the last of a key given twice); the pipeline runs that search only for
 * a type nothing wants, the one case where the answer is trusted.
 *
 * Its promise: for a body parseNotification accepts, a non-null answer is that notification's
 * event type and priority. It reads no further, so it cannot say whether the rest of the message
 * is well formed: the pipeline uses it only to ack, unread, notifications whose event type
 * nothing wants; a notification that something may want is parsed in full and judged as ever.
 * Anything unusual before the event type (an escape in any string, a nested value first, a key
 * given twice) or after it (`"event_type"` or `\u` anywhere) gives null: the full path decides.
 * test/unit/notifications/peek.property.test.ts holds it to that promise.
 */
import { LEGACY_PREFIX } from './types.js';

export interface Peeked {
  readonly eventType: string;
  /** Upper case, '' when absent or null, as parseNotification gives it; '' when not needed (not a legacy instance type). */
  readonly priority: string;
}

const QUOTE = 34;
const BACKSLASH = 92;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Reads JSON tokens from the start of one text; each method returns false where it cannot go on. */
class Head {
  i = 0;
  /** The last string read, without its quotes. */
  start = 0;
  end = 0;

  constructor(readonly text: string) {}

  ws(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else return;
    }
  }

  /** At a quote. false also for a string holding an escape: this reader gives up on those. */
  str(): boolean {
    const t = this.text;
    const n = t.length;
    let i = this.i + 1;
    this.start = i;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === QUOTE) {
        this.end = i;
        this.i = i + 1;
        return true;
      }
      if (c === BACKSLASH || c < 0x20) return false;
      i++;
    }
    return false;
  }

  /** A string, number, true, false or null; false for anything else (objects and arrays included). */
  scalar(): boolean {
    const t = this.text;
    const c = t.charCodeAt(this.i);
    if (c === QUOTE) return this.str();
    for (const word of ['true', 'false', 'null']) {
      if (t.startsWith(word, this.i)) {
        this.i += word.length;
        return true;
      }
    }
    let i = this.i;
    if (t.charCodeAt(i) === 45 /* - */) i++;
    const first = t.charCodeAt(i);
    if (first === 48) i++;
    else if (first >= 49 && first <= 57) while (isDigit(t.charCodeAt(i))) i++;
    else return false;
    if (t.charCodeAt(i) === 46 /* . */) {
      if (!isDigit(t.charCodeAt(++i))) return false;
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const e = t.charCodeAt(i);
    if (e === 101 || e === 69 /* e E */) {
      const s = t.charCodeAt(++i);
      if (s === 43 || s === 45) i++;
      if (!isDigit(t.charCodeAt(i))) return false;
      while (isDigit(t.charCodeAt(i))) i++;
    }
    this.i = i;
    return true;
  }

  is(name: string): boolean {
    return this.end - this.start === name.length && this.text.startsWith(name, this.start);
  }

  value(): string {
    return this.text.slice(this.start, this.end);
  }
}

/** What peekHead() read: the event type and priority, and where the rest of the text starts. */
export interface PeekedHead extends Peeked {
  readonly text: string;
  /** Where the members after the event type (and the priority a legacy type needs) start. */
  readonly restAt: number;
  readonly needsPriority: boolean;
}

/**
 * The head of an oslo 2.0 envelope's message text -> its event type and priority, or null (take
 * the full path). The answer holds only once restIsSilent() says no later member gives either
 * again: the caller that finds nothing wants the type checks that before trusting it, and one
 * that will parse the message anyway (something may want it) skips the search.
 */
export function peekHead(text: string): PeekedHead | null {
  const h = new Head(text);
  h.ws();
  if (text.charCodeAt(h.i) !== 123 /* { */) return null;
  h.i++;
  let eventType: string | undefined;
  let priority: string | null | undefined; // undefined: not met yet; null: met as JSON null
  for (;;) {
    h.ws();
    if (text.charCodeAt(h.i) !== QUOTE || !h.str()) return null;
    const isType = h.is('event_type');
    const isPriority = h.is('priority');
    h.ws();
    if (text.charCodeAt(h.i) !== 58 /* : */) return null;
    h.i++;
    h.ws();
    const valueAt = h.i;
    if (!h.scalar()) return null; // a nested value (payload, metadata) before what we need
    const isString = text.charCodeAt(valueAt) === QUOTE;
    if (isType) {
      if (eventType !== undefined || !isString || h.end === h.start) return null;
      eventType = h.value();
    } else if (isPriority) {
      if (priority !== undefined) return null;
      if (isString) priority = h.value();
      else if (text.startsWith('null', valueAt)) priority = null;
      else return null; // a number or boolean: parseNotification refuses it
    }
    const needsPriority = eventType !== undefined && eventType.startsWith(LEGACY_PREFIX);
    if (eventType !== undefined && (!needsPriority || priority !== undefined)) {
      const p = needsPriority ? (priority ?? '').toUpperCase() : '';
      return { eventType, priority: p, text, restAt: h.i, needsPriority };
    }
    h.ws();
    if (text.charCodeAt(h.i) !== 44 /* , */) return null; // the object ends before the event type
    h.i++;
  }
}

/** Whether nothing after the head may give the event type (or a needed priority) again, in any spelling (\u could spell one). */
export function restIsSilent(head: PeekedHead): boolean {
  const { text, restAt } = head;
  if (text.indexOf('"event_type"', restAt) >= 0 || text.indexOf('\\u', restAt) >= 0) return false;
  return !(head.needsPriority && text.indexOf('"priority"', restAt) >= 0);
}
