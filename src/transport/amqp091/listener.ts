/**
 * One VIM's AMQP 0-9-1 listener: the shared connection supervisor (../supervisor.ts) around
 * 0-9-1 sessions (session.ts): connect, declare, consume, start over on any loss.
 */
import { RelayError } from '../../errors.js';
import type { Logger } from '../../util/logger.js';
import { sharedConnectLimiter, type ConnectLimiter } from '../connect-limiter.js';
import type { TransportOptions } from '../options.js';
import { SupervisedListener } from '../supervisor.js';
import { parseTransportUrl, type TransportUrl } from '../transport-url.js';
import type { ListenerHooks, ListenerSpec } from '../types.js';
import { Amqp091Opener } from './session.js';

function amqp091Url(vim: ListenerSpec): TransportUrl {
  const url = parseTransportUrl(vim.transportUrl);
  if (url.kind !== 'amqp091') {
    throw new RelayError(
      'CONFIG_INVALID',
      `VIM ${vim.id}: ${url.scheme}:// is AMQP 1.0; the AMQP 0-9-1 listener needs rabbit://`,
    );
  }
  return url;
}

export class Amqp091Listener extends SupervisedListener {
  constructor(
    vim: ListenerSpec,
    opts: TransportOptions,
    logger: Logger,
    hooks: ListenerHooks = {},
    limiter: ConnectLimiter = sharedConnectLimiter(opts.maxConcurrentConnects),
  ) {
    const url = amqp091Url(vim);
    const log = logger.child({ vim: vim.id, transport: 'amqp091' });
    super(vim.id, url, new Amqp091Opener(vim, url, opts, log), opts, limiter, logger, hooks);
  }
}
