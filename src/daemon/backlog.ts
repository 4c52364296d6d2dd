/**
 * Every monitor.backlogIntervalMs, each VIM's queue and dead-letter queue depth, read from its
 * broker by a passive declare (src/transport/amqp091/queue-depth.ts), one VIM after the other
 * so that a poll never holds more than one extra connection; shown as gauges and in GET
 * /api/v1/vims/{id}. A VIM whose broker cannot be reached keeps its last reading (its `readAt`
 * says how old it is); the listener's own status already says the broker is away.
 */
import type { VimConfig } from '../config/vim.js';
import type { TransportOptions } from '../transport/options.js';
import { readBacklog, type VimBacklog } from '../transport/amqp091/queue-depth.js';
import type { Logger } from '../util/logger.js';
import type { RelayMetrics } from './metrics.js';

export interface BacklogOptions {
  readonly vims: () => readonly VimConfig[];
  readonly transport: TransportOptions;
  /** 0 = never polled. */
  readonly intervalMs: number;
  readonly metrics: Pick<RelayMetrics, 'queueMessages' | 'queueConsumers' | 'deadLetterMessages'>;
  readonly logger: Logger;
  readonly read?: typeof readBacklog;
}

export class BacklogPoller {
  private readonly last = new Map<string, VimBacklog>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly o: BacklogOptions) {}

  start(): void {
    if (this.o.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      // A poll slower than the interval (many VIMs, slow brokers) is not started twice.
      this.running ??= this.pollOnce().finally(() => (this.running = undefined));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  backlog(vimId: string): VimBacklog | null {
    return this.last.get(vimId) ?? null;
  }

  /** One round over the VIMs; never rejects. */
  async pollOnce(): Promise<void> {
    const vims = this.o.vims();
    const read = this.o.read ?? readBacklog;
    for (const vim of vims) {
      try {
        this.show(vim.id, await read(vim, this.o.transport));
      } catch (e) {
        this.o.logger.debug('queue depth not read; the listener reports the broker', {
          vim: vim.id,
          reason: (e as Error).message,
        });
      }
    }
    const known = new Set(vims.map((v) => v.id));
    for (const id of this.last.keys()) if (!known.has(id)) this.forget(id);
  }

  private show(vim: string, b: VimBacklog): void {
    this.last.set(vim, b);
    const m = this.o.metrics;
    if (b.queue) {
      m.queueMessages.set({ vim }, b.queue.messages);
      m.queueConsumers.set({ vim }, b.queue.consumers);
    }
    if (b.deadLetterQueue) m.deadLetterMessages.set({ vim }, b.deadLetterQueue.messages);
  }

  private forget(vim: string): void {
    this.last.delete(vim);
    for (const g of [this.o.metrics.queueMessages, this.o.metrics.queueConsumers, this.o.metrics.deadLetterMessages])
      g.remove({ vim });
  }
}
