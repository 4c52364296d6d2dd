/**
 * What the admin port's operator tools ask of the daemon: a VIM's last decisions (GET
 * .../recent) and the explain preview (POST .../explain), over the live store and the
 * pipeline's DecisionLog. Kept apart from ControlPlane, which changes things; nothing here does.
 */
import type { RelayStore } from '../store/store.js';
import { ComputeNodeTracker, InMemoryNodeMemory } from '../steps/compute-nodes.js';
import { preview, type Preview } from '../steps/preview.js';
import type { RenderOptions } from '../steps/render.js';
import type { SinkName } from '../publish/destination.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { VimConfig } from '../config/vim.js';
import type { TransportOptions } from '../transport/options.js';
import {
  listDeadLetters,
  redriveDeadLetters,
  showDeadLetter,
  type DeadLetterList,
  type RedriveResult,
} from '../transport/amqp091/dead-letter-tool.js';
import type { VimBacklog } from '../transport/amqp091/queue-depth.js';
import { DECISIONS_KEPT, type Decision, type DecisionLog } from './decisions.js';

export interface OpsParts {
  readonly store: RelayStore;
  readonly decisions: DecisionLog;
  readonly defaultSink: SinkName;
  readonly render: RenderOptions;
  /** When the VIM's last notification was consumed (MetricsObserver). */
  readonly lastConsumedAt: (vimId: string) => string | null;
  /** A VIM's settings with defaults applied (the catalogue), for the dead-letter tools. */
  readonly vim?: (vimId: string) => VimConfig | undefined;
  readonly transport?: TransportOptions;
  readonly logger?: Logger;
  /** The VIM's queue depths as last read (BacklogPoller); absent = not polled here. */
  readonly backlog?: (vimId: string) => VimBacklog | null;
}

/** What GET /api/v1/vims/{id} adds about the VIM's traffic. */
export interface VimActivity {
  /** ISO 8601; null when nothing was consumed since this process began listening to it. */
  readonly lastConsumedAt: string | null;
  /** Its queue and dead-letter queue as last read from its broker; null before the first reading. */
  readonly backlog?: VimBacklog | null;
}

export interface RecentDecisions {
  readonly vim: string;
  /** Most kept per VIM (this process's own: each replica shows what it decided). */
  readonly kept: number;
  /** Newest first. */
  readonly decisions: readonly Decision[];
}

export class OpsControl {
  constructor(private readonly parts: OpsParts) {}

  private vimKnown(vimId: string): RelayStore | undefined {
    const store = this.parts.store;
    return store.get().vims.some((v) => v.id === vimId) ? store : undefined;
  }

  activity(vimId: string): VimActivity {
    const backlog = this.parts.backlog;
    return { lastConsumedAt: this.parts.lastConsumedAt(vimId), ...(backlog ? { backlog: backlog(vimId) } : {}) };
  }

  /** undefined when the VIM is unknown. */
  recent(vimId: string): RecentDecisions | undefined {
    if (!this.vimKnown(vimId)) return undefined;
    return { vim: vimId, kept: DECISIONS_KEPT, decisions: this.parts.decisions.recent(vimId) };
  }

  /**
   * The body through the VIM's live subscriptions, rendered as the pipeline would, against a
   * copy of the compute-node memory that is dropped afterwards. undefined when the VIM is unknown.
   */
  async explain(vimId: string, body: Buffer): Promise<Preview | undefined> {
    const store = this.vimKnown(vimId);
    if (!store) return undefined;
    const state = store.get();
    const memory = new InMemoryNodeMemory(state.computeNodes);
    return preview(body, {
      vim: vimId,
      subscriptions: state.subscriptions,
      nodes: new ComputeNodeTracker(memory, silentLogger()),
      defaultSink: this.parts.defaultSink,
      render: this.parts.render,
    });
  }

  private dlqVim(vimId: string): { vim: VimConfig; transport: TransportOptions } | undefined {
    const vim = this.parts.vim?.(vimId);
    return vim && this.parts.transport ? { vim, transport: this.parts.transport } : undefined;
  }

  /** What waits in the VIM's dead-letter queue (the first `limit`); undefined when the VIM is unknown. */
  async deadLetters(vimId: string, limit: number): Promise<DeadLetterList | undefined> {
    const v = this.dlqVim(vimId);
    return v && listDeadLetters(v.vim, v.transport, limit);
  }

  /** One dead letter with its body; null when not among the first `limit`, undefined when the VIM is unknown. */
  async deadLetter(vimId: string, id: string, limit: number) {
    const v = this.dlqVim(vimId);
    if (!v) return undefined;
    return (await showDeadLetter(v.vim, v.transport, id, limit)) ?? null;
  }

  /** Re-drives to the VIM's queue, at-least-once; one audit line. undefined when the VIM is unknown. */
  async redrive(
    vimId: string,
    select: { readonly ids?: readonly string[]; readonly all?: boolean },
    client: string,
  ): Promise<RedriveResult | undefined> {
    const v = this.dlqVim(vimId);
    if (!v) return undefined;
    const r = await redriveDeadLetters(v.vim, v.transport, select);
    this.parts.logger?.info('admin change', {
      what: `deadletters ${vimId} re-driven`,
      old: null,
      new: { redriven: r.redriven, missing: r.missing },
      client,
    });
    return r;
  }
}
