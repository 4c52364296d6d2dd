/**
 * One pooled HTTP client per distinct collector (endpoint and credentials): VIMs sharing a
 * collector share its sockets. A client no VIM has used for a while is closed, so replacing a
 * VIM's collector does not leave the old pool open for ever.
 */
import { createHash } from 'node:crypto';
import { DmaapClient } from '../dmaap-client.js';
import type { VesSubscription } from '../../model/ves.js';

interface Pooled {
  readonly client: DmaapClient;
  inFlight: number;
  lastUsed: number;
}

const IDLE_CLOSE_MS = 5 * 60_000;

/** Groups events by collector without keeping the password in a map key or a log line. */
export function collectorKey(c: VesSubscription): string {
  const who = c.username
    ? createHash('sha256')
        .update(`${c.username}\u0000${c.password ?? ''}`)
        .digest('hex')
        .slice(0, 16)
    : '';
  return `${c.endpoint.replace(/\/+$/, '')}\u0000${who}`;
}

export class CollectorClients {
  private readonly pool = new Map<string, Pooled>();

  constructor(
    private readonly o: {
      readonly caFile?: string;
      readonly timeoutMs: number;
      readonly maxSockets: number;
      readonly now?: () => number;
    },
  ) {}

  /** Runs `fn` with the collector's client, counted as in use meanwhile. */
  async use<T>(key: string, c: VesSubscription, fn: (client: DmaapClient) => Promise<T>): Promise<T> {
    const now = (this.o.now ?? Date.now)();
    this.sweep(now);
    let p = this.pool.get(key);
    if (!p) {
      const client = new DmaapClient({
        url: c.endpoint,
        username: c.username,
        password: c.password,
        caFile: this.o.caFile,
        timeoutMs: this.o.timeoutMs,
        maxSockets: this.o.maxSockets,
        peer: 'the VES collector',
        caFileKey: 'ves.caFile',
      });
      p = { client, inFlight: 0, lastUsed: now };
      this.pool.set(key, p);
    }
    p.inFlight++;
    try {
      return await fn(p.client);
    } finally {
      p.inFlight--;
      p.lastUsed = (this.o.now ?? Date.now)();
    }
  }

  closeAll(): void {
    for (const p of this.pool.values()) p.client.close();
    this.pool.clear();
  }

  private sweep(now: number): void {
    for (const [key, p] of this.pool) {
      if (p.inFlight === 0 && now - p.lastUsed > IDLE_CLOSE_MS) {
        p.client.close();
        this.pool.delete(key);
      }
    }
  }
}
