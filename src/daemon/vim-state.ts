/**
 * Everything the pipeline keeps for one VIM, in one object that goes when the VIM goes:
 * recently published message_ids, the check_vim_status window's subscription, the
 * deliveries in flight, and the message_ids being handled (so a redelivery waits for its twin).
 */
import type { Subscription } from '../model/subscription.js';
import { RecentIds } from './windows.js';
import type { StateChange } from '../model/state-change.js';

export interface VimStateOptions {
  /** Recently published message_ids remembered (0 = off). */
  readonly dedupeWindow: number;
  /** Hands each state change to the check_vim_status window, which the store keeps (RelayStore.pushRecent). */
  readonly shareRecent?: (vimId: string, change: StateChange) => void;
}

/** How many deliveries are being processed, and a wait for none: what shutdown and VIM removal wait for. */
export class InFlight {
  private count = 0;
  private idleWaiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  add(): void {
    this.count++;
  }

  done(): void {
    if (--this.count > 0 || this.idleWaiters.length === 0) return;
    const wake = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of wake) w();
  }

  /** Settles once nothing is in flight (at once when nothing is). */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

export class VimState {
  readonly dedupe: RecentIds;
  /** Deliveries being processed: what shutdown and VIM removal wait for. */
  readonly inFlight = new InFlight();
  /** message_id -> the delivery carrying it, until settled; a redelivered twin adds a waiter. */
  readonly handling = new Map<string, { waiters?: (() => void)[] }>();
  /** The window behind check_vim_status sees every completed or failed instance operation. */
  readonly windowSubscriptions: readonly Subscription[];

  private readonly share?: (vimId: string, change: StateChange) => void;

  constructor(
    readonly vimId: string,
    opts: VimStateOptions,
  ) {
    this.dedupe = new RecentIds(opts.dedupeWindow);
    this.share = opts.shareRecent;
    this.windowSubscriptions = [{ id: '', vimId, states: ['*'], topic: '', phases: ['end', 'error'] }];
  }

  /** A completed or failed instance operation, for check_vim_status (the store's window). */
  remember(change: StateChange): void {
    this.share?.(this.vimId, change);
  }
}
