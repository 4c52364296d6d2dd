/**
 * The one place that picks a VIM's listener from its transport_url scheme, so the daemon
 * imports neither concrete listener.
 */
import { EventEmitter } from 'node:events';
import { RelayError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { Amqp091Listener } from './amqp091/listener.js';
import { Amqp10Listener } from './amqp10/listener.js';
import type { TransportOptions } from './options.js';
import { parseTransportUrl, TransportUrlError, type TransportKind } from './transport-url.js';
import type { Delivery, ListenerHooks, ListenerSpec, ListenerStatusChange, VimListener } from './types.js';

/**
 * Stands in for the listener of a VIM whose stored transport_url no longer parses (written by an
 * older version that checked less): that VIM is UNREACHABLE with the reason, and the daemon and
 * every other VIM run on. A PUT of a corrected URL replaces it.
 */
export class UnusableUrlListener extends EventEmitter implements VimListener {
  readonly status: ListenerStatusChange;
  private started = false;

  constructor(
    readonly vimId: string,
    problem: string,
  ) {
    super();
    this.status = {
      status: 'UNREACHABLE',
      since: new Date(),
      reason: `transportUrl: ${problem}; correct it with PUT /api/v1/vims/${vimId}`,
    };
  }

  async start(_onDelivery?: (d: Delivery) => void): Promise<void> {
    if (this.started)
      throw new RelayError(
        'INTERNAL',
        `the listener for VIM ${this.vimId} was already started; a listener starts once (make a new one to start again)`,
      );
    this.started = true;
    // Announced once at start: the reason is logged with the status although it never changes.
    this.emit('status', this.status);
  }

  async stopConsuming(): Promise<void> {}

  async close(): Promise<void> {}
}

export function createListener(
  vim: ListenerSpec,
  opts: TransportOptions,
  logger: Logger,
  hooks: ListenerHooks = {},
): VimListener {
  let kind: TransportKind;
  try {
    kind = parseTransportUrl(vim.transportUrl).kind;
  } catch (e) {
    if (!(e instanceof TransportUrlError)) throw e;
    return new UnusableUrlListener(vim.id, e.message);
  }
  return kind === 'amqp10'
    ? new Amqp10Listener(vim, opts, logger, undefined, hooks)
    : new Amqp091Listener(vim, opts, logger, hooks);
}
