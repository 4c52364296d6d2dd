/**
 * A replica's line to PostgreSQL: the LISTEN connection, the store's health, and the reconnect
 * loop. Losing the LISTEN connection (or any statement failing with a connection error, which
 * calls down()) marks the store down; reconnecting LISTENs again and runs `beforeUp` (a full
 * reconcile, which also covers every notification missed meanwhile) before it is up again.
 */
import pg from 'pg';
import type { Logger } from '../../util/logger.js';
import type { StoreHealth } from '../store.js';
import { describe } from './errors.js';

export const CHANNEL = 'relay_state';

const RECONNECT_INITIAL_MS = 250;
const RECONNECT_MAX_MS = 5000;

export class PgLink {
  up = false;
  reason = 'not connected yet';
  beforeUp: () => Promise<void> = async () => undefined;
  afterUp: () => void = () => undefined;
  onNotification: (payload: string | undefined) => void = () => undefined;
  private since = new Date().toISOString();
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private attempt = 0;
  private retrying = false;
  private closed = false;
  private started = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly log: Logger,
  ) {}

  /** The first connection: throws when PostgreSQL cannot be reached. */
  async start(): Promise<void> {
    await this.connect();
    this.started = true;
    this.mark(true);
  }

  health(): StoreHealth {
    return this.up ? { ok: true, since: this.since } : { ok: false, since: this.since, reason: this.reason };
  }

  /** The database is away (a statement or the LISTEN connection said so): reconnect. */
  down(reason: string): void {
    // Before start() the opener reports the failure itself; nothing to reconnect yet.
    if (this.closed || !this.started) return;
    this.reason = reason;
    if (this.up) {
      this.mark(false);
      this.log.warn(
        'store down: PostgreSQL cannot be reached; relaying goes on from the last state, admin writes answer 503 until it returns',
        { reason },
      );
    }
    this.dropClient();
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private mark(up: boolean): void {
    this.up = up;
    this.since = new Date().toISOString();
  }

  private async connect(): Promise<void> {
    const c = new pg.Client(this.config);
    const lost = (why: string) => {
      if (this.client === c) this.down(why);
    };
    c.on('error', (e) => lost(describe(e)));
    c.on('end', () => lost('the LISTEN connection closed'));
    c.on('notification', (m) => {
      if (m.channel === CHANNEL) this.onNotification(m.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    this.client = c;
  }

  private dropClient(): void {
    const c = this.client;
    this.client = undefined;
    c?.end().catch(() => undefined);
  }

  private schedule(): void {
    // A retry under way schedules the next one itself if it fails.
    if (this.timer || this.retrying || this.closed || this.up) return;
    const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_INITIAL_MS * 2 ** this.attempt);
    this.timer = setTimeout(() => void this.retry(), cap / 2 + Math.random() * (cap / 2));
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.up) return;
    this.retrying = true;
    try {
      if (!this.client) await this.connect();
      await this.beforeUp();
      // The LISTEN connection was lost again while reloading: another round.
      if (!this.client) throw new Error(this.reason);
      this.retrying = false;
      if (this.closed) return;
      this.attempt = 0;
      this.mark(true);
      this.log.info('store back: PostgreSQL answers again; state reloaded', { wasDownBecause: this.reason });
      this.afterUp();
    } catch (e) {
      this.retrying = false;
      this.reason = describe(e);
      this.attempt++;
      this.dropClient();
      this.schedule();
    }
  }
}
