/**
 * Copies a notification into the VIM's dead-letter queue and waits for the broker's publisher
 * confirm, so the original is acked only once the copy is safe. Published through the default
 * exchange with `mandatory`: were the DLQ deleted, an unroutable copy would otherwise be
 * confirmed and silently dropped; with `mandatory` the broker returns it (before the confirm)
 * and the caller sees a failure instead.
 */
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { RelayError } from '../../errors.js';
import { DEAD_LETTER_HEADERS, type DeadLetterReason, type ListenerSpec } from '../types.js';
import { closeQuietly } from './connect.js';
import { deadLetterQueueArguments } from './queue-args.js';

export const RELAY_HEADERS = DEAD_LETTER_HEADERS;

/**
 * The routing key nova published it with: its own, or, for a message the relay moved from a
 * retired queue (retire-change.ts) or an operator re-published from the dead-letter queue, the
 * one its x-relay-routing-key header kept.
 */
export function originalRoutingKey(msg: Message): string {
  const kept: unknown = msg.properties.headers?.[RELAY_HEADERS.routingKey];
  return typeof kept === 'string' ? kept : msg.fields.routingKey;
}

/** The basic properties copied, as amqplib decodes them (its typings leave them `any`). */
interface CopiedProperties {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly priority?: number;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly messageId?: string;
  readonly timestamp?: number;
  readonly type?: string;
  readonly appId?: string;
  readonly headers?: Record<string, unknown>;
}

/**
 * A copy's properties: the original's, persistent, `mandatory`, plus `headers`. `expiration` is
 * dropped (the copy must not expire where it goes), `userId` too (RabbitMQ checks it against
 * the publishing user and closes the channel on a mismatch), and CC/BCC headers (they would
 * route extra copies through the default exchange). Also what retire-change.ts moves with.
 */
export function copyProperties(msg: Message, headers: Record<string, unknown>): Options.Publish {
  const p: CopiedProperties = msg.properties;
  const { CC: _cc, BCC: _bcc, ...kept } = p.headers ?? {};
  return {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    priority: p.priority,
    correlationId: p.correlationId,
    replyTo: p.replyTo,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
    persistent: true,
    mandatory: true,
    headers: { ...kept, ...headers },
  };
}

/** The dead-letter copy's properties: copyProperties with the reason headers. */
export function deadLetterProperties(
  msg: Message,
  reason: DeadLetterReason,
  vimId: string,
  id: string,
  now: Date = new Date(),
): Options.Publish {
  return copyProperties(msg, {
    [RELAY_HEADERS.reasonCode]: reason.code,
    [RELAY_HEADERS.reason]: reason.message,
    [RELAY_HEADERS.vimId]: vimId,
    [RELAY_HEADERS.routingKey]: originalRoutingKey(msg),
    [RELAY_HEADERS.deadLetteredAt]: now.toISOString(),
    [RELAY_HEADERS.id]: id,
  });
}

export class DeadLetterPublisher {
  private readonly returned = new Set<string>();

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly vim: Pick<ListenerSpec, 'id' | 'deadLetterQueue' | 'queueType' | 'maxLength'>,
  ) {
    channel.on('return', (m: Message) => {
      const id: unknown = m.properties.headers?.[RELAY_HEADERS.id];
      if (typeof id === 'string') this.returned.add(id);
    });
  }

  /** Closes the confirm channel (waits for the broker's close-ok). */
  close(): Promise<void> {
    return closeQuietly(this.channel);
  }

  /** Resolves once the broker confirmed the copy; rejects on a nack, a return or a dead channel. */
  async publish(msg: Message, reason: DeadLetterReason): Promise<void> {
    const id = randomUUID();
    const queue = this.vim.deadLetterQueue;
    const unconfirmed = (cause: unknown) =>
      new RelayError(
        'BROKER_UNREACHABLE',
        `the broker did not confirm the copy to dead-letter queue "${queue}"; the original stays unacked`,
        { cause },
      );
    await new Promise<void>((resolve, reject) => {
      try {
        this.channel.sendToQueue(
          queue,
          msg.content,
          deadLetterProperties(msg, reason, this.vim.id, id),
          (err: unknown) => (err ? reject(unconfirmed(err)) : resolve()),
        );
      } catch (err) {
        // amqplib throws synchronously once the channel is closed.
        reject(unconfirmed(err));
      }
    });
    if (this.returned.delete(id)) {
      // Someone deleted the DLQ under us; put it back so the caller's retry lands.
      // With the same type and arguments as declareTopology gives it, or the next declare is a 406.
      await this.channel.assertQueue(queue, { durable: true, arguments: deadLetterQueueArguments(this.vim) });
      throw new RelayError(
        'BROKER_REFUSED',
        `dead-letter queue "${queue}" did not exist (the copy was returned); it has been re-declared, retry`,
      );
    }
  }
}
