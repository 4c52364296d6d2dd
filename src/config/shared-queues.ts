/**
 * Two VIMs that name the same queue (or dead-letter queue) on one broker and virtual host would
 * share it: two runners consuming one queue split its notifications between two VIMs' routes,
 * and deleting either VIM retires the other's queue. The config and a PUT that would do that
 * are refused.
 */
import { hostLabel, parseTransportUrl } from '../transport/transport-url.js';
import type { VimConfig } from './vim.js';

/** The broker+vhost keys a VIM's 0-9-1 queues live on (one per host of its URL); none for AMQP 1.0. */
function brokerKeys(vim: VimConfig): Set<string> {
  try {
    const url = parseTransportUrl(vim.transportUrl);
    if (url.kind !== 'amqp091') return new Set();
    return new Set(url.hosts.map((h) => `${hostLabel(h).toLowerCase()} ${url.vhost}`));
  } catch {
    // Validation refuses a bad URL before this runs; an unreadable stored one shares nothing.
    return new Set();
  }
}

/**
 * The problem, naming `at`'s field and the other VIM, when a queue of `vim` is a queue of
 * another VIM on the same broker and vhost (any host of a cluster URL in common counts).
 */
export function sharedQueueProblem(vim: VimConfig, others: readonly VimConfig[], at: string): string | undefined {
  const mine = brokerKeys(vim);
  if (mine.size === 0) return undefined;
  for (const other of others) {
    if (other.id === vim.id || ![...brokerKeys(other)].some((k) => mine.has(k))) continue;
    const theirs = new Map([
      [other.queue, 'queue'],
      [other.deadLetterQueue, 'deadLetterQueue'],
    ]);
    for (const field of ['queue', 'deadLetterQueue'] as const) {
      const clash = theirs.get(vim[field]);
      if (!clash) continue;
      return (
        `${at}.${field} "${vim[field]}" is already the ${clash} of VIM "${other.id}" on the same broker and vhost; ` +
        `two VIMs sharing a queue would take each other's notifications. Give this VIM another ${field}`
      );
    }
  }
  return undefined;
}
