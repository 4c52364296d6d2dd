/**
 * What waits in a VIM's dead-letter queue, and putting it back. Browsing takes the messages with
 * basic.get (unacked) and hands every one back (nack, requeue) before the channel closes: the
 * queue keeps them all. Re-driving publishes a selected message to the VIM's own queue through
 * the default exchange on a confirm channel, mandatory, and acks its dead-letter copy only once
 * the broker confirmed the publish: a re-drive that dies half way leaves every message not yet
 * acked in the dead-letter queue (the one in between may then be in both: a duplicate, never a
 * loss). The relay then consumes it as any notification. One short connection per call, as
 * retire.ts; AMQP 1.0 VIMs on RabbitMQ are reached over 0-9-1 on the same hosts.
 */
import { createHash } from 'node:crypto';
import type { ConfirmChannel, GetMessage, Options } from 'amqplib';
import type { ListenerSpec as VimConfig } from '../types.js';
import { DEAD_LETTER_HEADERS as H } from '../types.js';
import type { TransportOptions } from '../options.js';
import { parseTransportUrl } from '../transport-url.js';
import { closeQuietly, connectVimBroker } from './connect.js';
import { RelayError } from '../../errors.js';
import { peekIdentity } from './dead-letter-peek.js';

export interface DeadLetter {
  /** The copy's id (x-relay-dead-letter-id), else the message_id property, else a digest of the body. */
  readonly id: string;
  /** The relay's code (x-relay-reason-code), or the broker's reason (x-death: delivery_limit, maxlen, ...). */
  readonly reasonCode: string;
  readonly reason: string;
  /** When it was dead-lettered, ISO 8601; null when unknown. */
  readonly deadLetteredAt: string | null;
  readonly ageSeconds: number | null;
  /** How often the broker dead-lettered it (x-death count), else 1. */
  readonly count: number;
  readonly routingKey: string | null;
  readonly eventType: string | null;
  readonly messageId: string | null;
  readonly bytes: number;
}

export interface DeadLetterList {
  readonly vim: string;
  readonly queue: string;
  /** Messages in the dead-letter queue when it was read. */
  readonly total: number;
  readonly items: readonly DeadLetter[];
}

export interface RedriveResult {
  readonly vim: string;
  /** Ids re-driven: published to the VIM's queue, confirmed, and removed from the dead-letter queue. */
  readonly redriven: readonly string[];
  /** Ids asked for that were not found. */
  readonly missing: readonly string[];
}

/** Test seam: runs after a re-drive publish was confirmed and before its copy is acked. */
export type AfterConfirm = (id: string) => void | Promise<void>;

const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
};

/** A dead letter's id: the relay's header, else the broker message id, else a digest of the body. */
function deadLetterId(m: GetMessage): string {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  return (
    text(h[H.id]) ??
    text(m.properties.messageId) ??
    `sha256:${createHash('sha256').update(m.content).digest('hex').slice(0, 32)}`
  );
}

function describe(m: GetMessage, now: number): DeadLetter {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  const death = (Array.isArray(h['x-death']) ? h['x-death'][0] : undefined) as Record<string, unknown> | undefined;
  const at = text(h[H.deadLetteredAt]) ?? (death?.time instanceof Date ? death.time.toISOString() : null);
  const peeked = peekIdentity(m.content);
  return {
    id: deadLetterId(m),
    reasonCode: text(h[H.reasonCode]) ?? (death ? `BROKER_${String(text(death.reason)).toUpperCase()}` : 'UNKNOWN'),
    reason: text(h[H.reason]) ?? (death ? `dead-lettered by the broker: ${text(death.reason)}` : 'no reason recorded'),
    deadLetteredAt: at,
    ageSeconds: at ? Math.max(0, Math.round((now - Date.parse(at)) / 1000)) : null,
    count: typeof death?.count === 'number' ? death.count : 1,
    routingKey: text(h[H.routingKey]) ?? text(death?.['routing-keys'] && (death['routing-keys'] as unknown[])[0]),
    eventType: peeked.eventType,
    messageId: peeked.messageId,
    bytes: m.content.length,
  };
}

async function withDlqChannel<T>(
  vim: VimConfig,
  transport: TransportOptions,
  fn: (ch: ConfirmChannel, total: number) => Promise<T>,
): Promise<T> {
  const model = await connectVimBroker(parseTransportUrl(vim.transportUrl), transport, vim.id, () => undefined);
  try {
    const ch = await model.createConfirmChannel();
    ch.on('error', () => undefined);
    let total: number;
    try {
      total = (await ch.checkQueue(vim.deadLetterQueue)).messageCount;
    } catch (e) {
      throw new RelayError(
        'NOT_FOUND',
        `VIM ${vim.id} has no dead-letter queue "${vim.deadLetterQueue}" on its broker`,
        { cause: e },
      );
    }
    try {
      return await fn(ch, total);
    } finally {
      // Whatever was taken and not acked goes back to the dead-letter queue.
      await closeQuietly(ch);
    }
  } finally {
    await closeQuietly(model);
  }
}

/** Takes up to `max` messages, unacked. */
async function take(ch: ConfirmChannel, queue: string, max: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  while (out.length < max) {
    const m = await ch.get(queue, { noAck: false });
    if (m === false) break;
    out.push(m);
  }
  return out;
}

export async function listDeadLetters(
  vim: VimConfig,
  transport: TransportOptions,
  limit: number,
): Promise<DeadLetterList> {
  return withDlqChannel(vim, transport, async (ch, total) => {
    const got = await take(ch, vim.deadLetterQueue, Math.min(limit, total));
    ch.nackAll(true);
    const now = Date.now();
    return { vim: vim.id, queue: vim.deadLetterQueue, total, items: got.map((m) => describe(m, now)) };
  });
}

/** One dead letter with its body (UTF-8 text, or base64 when it is not); undefined when not among the first `limit`. */
export async function showDeadLetter(
  vim: VimConfig,
  transport: TransportOptions,
  id: string,
  limit: number,
): Promise<(DeadLetter & { readonly body: string; readonly bodyEncoding: 'utf8' | 'base64' }) | undefined> {
  return withDlqChannel(vim, transport, async (ch, total) => {
    const got = await take(ch, vim.deadLetterQueue, Math.min(limit, total));
    ch.nackAll(true);
    const m = got.find((x) => deadLetterId(x) === id);
    if (!m) return undefined;
    const utf8 = m.content.toString('utf8');
    const isText = Buffer.from(utf8, 'utf8').equals(m.content);
    return {
      ...describe(m, Date.now()),
      body: isText ? utf8 : m.content.toString('base64'),
      bodyEncoding: isText ? 'utf8' : 'base64',
    };
  });
}

/** The original's properties, without what the dead-lettering added. */
function redriveProperties(m: GetMessage): Options.Publish {
  const {
    [H.reasonCode]: _c,
    [H.reason]: _r,
    [H.deadLetteredAt]: _a,
    [H.id]: _i,
    ...headers
  } = (m.properties.headers ?? {}) as Record<string, unknown>;
  return {
    contentType: m.properties.contentType as string | undefined,
    contentEncoding: m.properties.contentEncoding as string | undefined,
    messageId: m.properties.messageId as string | undefined,
    timestamp: m.properties.timestamp as number | undefined,
    persistent: true,
    mandatory: true,
    headers: { ...headers, 'x-relay-redriven-at': new Date().toISOString() },
  };
}

/** Re-drives the dead letters whose ids are given (all of them with `all`), at-least-once: see the file comment. */
export async function redriveDeadLetters(
  vim: VimConfig,
  transport: TransportOptions,
  select: { readonly ids?: readonly string[]; readonly all?: boolean },
  afterConfirm?: AfterConfirm,
): Promise<RedriveResult> {
  const wanted = new Set(select.ids ?? []);
  return withDlqChannel(vim, transport, async (ch, total) => {
    const returned = new Set<string>();
    ch.on('return', (m: { properties: { headers?: Record<string, unknown> } }) => {
      const id = text(m.properties.headers?.['x-relay-redrive-id']);
      if (id) returned.add(id);
    });
    const redriven: string[] = [];
    for (const m of await take(ch, vim.deadLetterQueue, total)) {
      const id = deadLetterId(m);
      if (!select.all && !wanted.has(id)) continue;
      const props = redriveProperties(m);
      props.headers = { ...(props.headers as Record<string, unknown>), 'x-relay-redrive-id': id };
      await new Promise<void>((resolve, reject) =>
        ch.sendToQueue(vim.queue, m.content, props, (err: Error | null) => (err ? reject(err) : resolve())),
      );
      // A mandatory publish the broker could not route (the VIM's queue is gone) is returned
      // before its confirm: its copy stays in the dead-letter queue.
      if (returned.has(id))
        throw new RelayError(
          'NOT_FOUND',
          `the VIM's queue "${vim.queue}" does not exist on its broker; nothing more was re-driven`,
        );
      await afterConfirm?.(id);
      ch.ack(m);
      redriven.push(id);
    }
    ch.nackAll(true);
    return { vim: vim.id, redriven, missing: [...wanted].filter((id) => !redriven.includes(id)) };
  });
}
