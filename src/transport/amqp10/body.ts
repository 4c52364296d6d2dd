/**
 * Turns whatever an AMQP 1.0 sender put in a message body into the bytes the pipeline parses.
 * Pure: no I/O.
 *
 * Senders differ: RabbitMQ hands a message published over 0-9-1 to a 1.0 receiver as one
 * data section (the exact bytes); oslo's amqp1 driver sends `jsonutils.dumps(...)` as an
 * AMQP value string; other tools send an AMQP value map or an amqp-sequence. rhea decodes
 * data and sequence sections into its `Section` class and value sections into plain JS.
 */
import rhea from 'rhea';
import type { Message } from 'rhea';

const DATA_SECTION = 0x75;
const SEQUENCE_SECTION = 0x76;

interface RheaSection {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}

// rhea does not export its Section class; take its constructor from an instance so the
// check is exact (an AMQP value map that happens to have `typecode`/`content` keys is not one).
const SECTION_CONSTRUCTOR: unknown = (rhea.message.data_section(Buffer.alloc(0)) as object).constructor;

function isSection(body: unknown): body is RheaSection {
  return typeof body === 'object' && body !== null && body.constructor === SECTION_CONSTRUCTOR;
}

/** JSON that never throws on AMQP types JSON lacks: ulong/long as bigint, binary as base64. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (
      v &&
      typeof v === 'object' &&
      (v as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((v as { data?: unknown }).data)
    ) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}

function sectionBytes(section: RheaSection): Buffer {
  const parts = section.multiple ? (section.content as unknown[]) : [section.content];
  if (section.typecode === DATA_SECTION) {
    // Several data sections form one body: the spec defines it as their concatenation.
    return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(String(p), 'utf8'))));
  }
  if (section.typecode === SEQUENCE_SECTION) {
    // Several amqp-sequence sections are one logical list.
    const items = parts.flatMap((p): unknown[] => (Array.isArray(p) ? (p as unknown[]) : [p]));
    return Buffer.from(toJson(items), 'utf8');
  }
  return Buffer.from(toJson(section.content), 'utf8');
}

/** The body as bytes: data sections verbatim, strings as UTF-8, anything else as JSON text. */
export function bodyToBuffer(body: unknown): Buffer {
  if (isSection(body)) return sectionBytes(body);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body === undefined) return Buffer.alloc(0);
  return Buffer.from(toJson(body), 'utf8');
}

/**
 * Whether the broker delivered this message before. RabbitMQ 3.x never sets delivery_count
 * but reports a requeued message with first_acquirer=false (measured); other brokers count.
 */
export function isRedelivered(message: Pick<Message, 'delivery_count' | 'first_acquirer'>): boolean {
  return (message.delivery_count ?? 0) > 0 || message.first_acquirer === false;
}
