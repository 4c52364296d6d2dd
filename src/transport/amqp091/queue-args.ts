/**
 * The x-arguments of the queues the relay creates, and reading an existing queue's arguments
 * back from RabbitMQ's 406 answers. Pure: no I/O.
 *
 * AMQP 0-9-1 has no "describe queue": a passive declare tells only that a queue exists and its
 * counts. The one thing that names a queue's type and arguments is the 406 PRECONDITION_FAILED
 * a mismatching declare gets, "inequivalent arg 'x-queue-type' ... received 'quorum' but
 * current is none", one argument per answer (RabbitMQ checks them in its own order, so the type
 * is not always the first one named).
 */
import type { ListenerSpec as VimConfig } from '../types.js';

export type QueueArgs = Record<string, string | number | boolean>;

/**
 * The relay's own queue. Quorum: the broker dead-letters into deadLetterQueue (default
 * exchange, routing key = its name) what went over deliveryLimit. At-least-once dead-lettering
 * (the message leaves the queue only once the dead-letter queue confirmed it) needs overflow
 * reject-publish; with maxLength the overflow must be drop-head instead, and RabbitMQ then
 * falls back to at-most-once for every dead-lettering of that queue.
 */
export function queueArguments(vim: VimConfig): QueueArgs {
  const args: QueueArgs = { 'x-queue-type': vim.queueType };
  const quorum = vim.queueType === 'quorum';
  if (quorum || vim.maxLength > 0) {
    args['x-dead-letter-exchange'] = '';
    args['x-dead-letter-routing-key'] = vim.deadLetterQueue;
  }
  if (quorum && vim.deliveryLimit > 0) args['x-delivery-limit'] = vim.deliveryLimit;
  if (vim.maxLength > 0) {
    args['x-max-length'] = vim.maxLength;
    args['x-overflow'] = 'drop-head';
  } else if (quorum) {
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  }
  if (vim.singleActiveConsumer) args['x-single-active-consumer'] = true;
  return args;
}

/**
 * The dead-letter queue: same type, no dead-lettering of its own. With maxLength it is bounded
 * alike, or the oldest notifications dropped from the main queue would pile up here instead.
 */
export function deadLetterQueueArguments(vim: Pick<VimConfig, 'queueType' | 'maxLength'>): QueueArgs {
  const args: QueueArgs = { 'x-queue-type': vim.queueType };
  if (vim.maxLength > 0) {
    args['x-max-length'] = vim.maxLength;
    args['x-overflow'] = 'drop-head';
  }
  return args;
}

/** What one 406 says about one argument of the existing queue. */
export interface Inequivalence {
  readonly arg: string;
  /** undefined: the existing queue does not have the argument. */
  readonly current: string | number | boolean | undefined;
}

const INEQUIVALENT =
  /inequivalent arg '([^']+)' for queue '.*' in vhost '.*': received (?:none|the value '.*' of type '[a-z]+'|'.*') but current is (none|the value '(.*)' of type '([a-z]+)'|'(.*)')"?\s*$/s;
const NUMERIC = new Set([
  'byte',
  'short',
  'signedint',
  'long',
  'unsignedbyte',
  'unsignedshort',
  'unsignedint',
  'float',
  'double',
  'decimal',
]);

/** The queue's own flags, not arguments: a mismatch there is a different queue, not another type. */
export const QUEUE_FLAGS = new Set(['durable', 'exclusive', 'auto_delete']);

function typed(text: string, type: string | undefined, like: unknown): string | number | boolean {
  if (type === 'bool' || (type === undefined && typeof like === 'boolean')) return text === 'true';
  if ((type !== undefined && NUMERIC.has(type)) || (type === undefined && typeof like === 'number')) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** Parses RabbitMQ's "inequivalent arg" 406 text; undefined when it is another refusal. */
export function parseInequivalence(message: string, sent: QueueArgs): Inequivalence | undefined {
  const m = INEQUIVALENT.exec(message);
  if (!m) return undefined;
  const arg = m[1];
  if (m[2] === 'none') return { arg, current: undefined };
  const value = m[3] ?? m[5] ?? '';
  return { arg, current: typed(value, m[4], sent[arg]) };
}

/** A probe adjusted to what the broker said the existing queue has. */
export function adopt(args: QueueArgs, said: Inequivalence): QueueArgs {
  const next = { ...args };
  if (said.current === undefined) delete next[said.arg];
  else next[said.arg] = said.current;
  return next;
}

/** A queue declared with no x-queue-type is classic. */
export function typeOf(args: QueueArgs): string {
  const t = args['x-queue-type'];
  return typeof t === 'string' ? t : 'classic';
}
