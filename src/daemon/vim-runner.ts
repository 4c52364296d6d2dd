/**
 * One VIM at run time: its listener (0-9-1 or 1.0, chosen by the transport_url scheme) and its
 * pipeline state. Stopping drains: stop taking, let what is in hand finish within a deadline,
 * then requeue the rest and close.
 */
import { EventEmitter } from 'node:events';
import { redactTransportUrl } from '../transport/transport-url.js';
import { createListener } from '../transport/create-listener.js';
import type { TransportOptions } from '../transport/options.js';
import type { ListenerHooks, ListenerStatusChange, VimListener } from '../transport/types.js';
import type { VimConfig } from '../config/vim.js';
import type { Logger } from '../util/logger.js';
import { VimState, type VimStateOptions } from './vim-state.js';
import { CLOSE_GRACE_MS, settlesWithin } from '../util/deadline.js';
import type { Pipeline } from './pipeline.js';

export type ListenerFactory = (
  vim: VimConfig,
  opts: TransportOptions,
  logger: Logger,
  hooks?: ListenerHooks,
) => VimListener;

export interface VimRunnerOptions extends VimStateOptions {
  readonly transport: TransportOptions;
  /** Replaces createListener (unit tests drive the runner and the catalogue with a scripted listener). */
  readonly listenerFactory?: ListenerFactory;
  /**
   * Whether `vim` is still registered exactly so (the catalogue reads its store): the listener
   * asks before declaring its queue again, so a VIM removed or moved elsewhere never gets its
   * old queue back. Without it, always.
   */
  readonly stillWanted?: (vim: VimConfig) => boolean;
}

/** Emits 'status' (ListenerStatusChange) from its listener. */
export class VimRunner extends EventEmitter {
  readonly state: VimState;
  private readonly listener: VimListener;
  private readonly log: Logger;

  constructor(
    readonly vim: VimConfig,
    private readonly pipeline: Pipeline,
    opts: VimRunnerOptions,
    logger: Logger,
  ) {
    super();
    this.log = logger.child({ vim: vim.id });
    this.state = new VimState(vim.id, opts);
    const stillWanted = opts.stillWanted;
    this.listener = (opts.listenerFactory ?? createListener)(vim, opts.transport, this.log, {
      stillWanted: stillWanted && (() => stillWanted(vim)),
    });
    this.listener.on('status', (s: ListenerStatusChange) => this.emit('status', s));
  }

  get status(): ListenerStatusChange {
    return this.listener.status;
  }

  async start(): Promise<void> {
    this.log.info('starting VIM listener', {
      transportUrl: redactTransportUrl(this.vim.transportUrl),
      queue: this.vim.queue,
      exchange: this.vim.exchange,
    });
    await this.listener.start((d) => void this.pipeline.accept(this.state, d));
  }

  /**
   * Stop taking deliveries; wait for those in hand up to `deadline` (epoch ms). Returns how many
   * are still unsettled. The cancel itself is bounded too: a blocked or half-open broker
   * connection never answers it.
   */
  async drain(deadline: number): Promise<number> {
    if (!(await settlesWithin(this.listener.stopConsuming(), deadline - Date.now()))) {
      this.log.warn('the broker did not confirm the consumer cancel before the shutdown deadline');
    }
    await settlesWithin(this.state.inFlight.idle(), deadline - Date.now());
    return this.state.inFlight.size;
  }

  /** Requeue whatever is unsettled and close the connection. */
  async close(): Promise<void> {
    await this.listener.close();
  }

  /** drain() then close(): what a VIM removal or replacement does. */
  async stop(deadline: number): Promise<void> {
    const left = await this.drain(deadline);
    if (left > 0)
      this.log.warn('VIM stopped with notifications in flight; they are requeued and will be redelivered', {
        inFlight: left,
      });
    if (!(await settlesWithin(this.close(), CLOSE_GRACE_MS))) {
      this.log.warn('the broker connection did not close in time; the broker will redeliver what was not acked', {
        graceMs: CLOSE_GRACE_MS,
      });
    }
  }
}
