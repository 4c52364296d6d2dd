/**
 * AMQP 1.0 VimListener (rhea): reads a VIM's notifications from qpid-dispatch-router, or from
 * RabbitMQ's AMQP 1.0 plugin. The shared connection supervisor (../supervisor.ts) around AMQP
 * 1.0 sessions (session.ts); rhea's own reconnect is off, so that every attempt goes through
 * the supervisor's status, backoff, timeout and connect slot.
 */
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { sharedConnectLimiter, type ConnectLimiter } from '../connect-limiter.js';
import type { TransportOptions } from '../options.js';
import { SupervisedListener } from '../supervisor.js';
import { parseTransportUrl, type TransportUrl } from '../transport-url.js';
import type { ListenerHooks, ListenerSpec } from '../types.js';
import { Amqp10Opener, DEFAULT_AMQP10_TIMEOUTS, type Amqp10Timeouts } from './session.js';

export { DEAD_LETTER_CONDITION, DEFAULT_AMQP10_TIMEOUTS, type Amqp10Timeouts } from './session.js';

function amqp10Url(vim: ListenerSpec): TransportUrl {
  const url = parseTransportUrl(vim.transportUrl);
  if (url.kind !== 'amqp10') {
    throw new RelayError(
      'CONFIG_INVALID',
      `VIM ${vim.id}: ${url.scheme}:// is AMQP 0-9-1; the AMQP 1.0 listener needs amqp:// or amqps://`,
    );
  }
  return url;
}

export class Amqp10Listener extends SupervisedListener {
  constructor(
    vim: ListenerSpec,
    opts: TransportOptions,
    logger: Logger,
    timeouts: Amqp10Timeouts = DEFAULT_AMQP10_TIMEOUTS,
    hooks: ListenerHooks = {},
    limiter: ConnectLimiter = sharedConnectLimiter(opts.maxConcurrentConnects),
  ) {
    const url = amqp10Url(vim);
    const log = logger.child({ vim: vim.id, transport: 'amqp10' });
    const opener = new Amqp10Opener({ vim, url, opts, timeouts, log });
    super(vim.id, url, opener, opts, limiter, logger, hooks);
    if (opener.credit.raised) {
      this.log.warn('transport.prefetch is below the number of AMQP 1.0 addresses; each receiver gets 1 credit', {
        prefetch: opts.prefetch,
        addresses: opener.addresses.length,
      });
    }
  }
}
