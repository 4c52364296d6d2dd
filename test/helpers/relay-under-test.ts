/**
 * The built daemon with one VIM on the real RabbitMQ, its own exchange/queue/DLQ names and one
 * catch-all subscription, for fault tests: publish tagged notifications, restart the process on
 * the same store, probe its admin port, and count what arrived against what was sent.
 */
import { connect } from 'amqplib';
import { amqpUrl, cleanup, rabbitUrl, uniqueName, withChannel } from './amqp.js';
import { spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from './daemon.js';
import { expandVersioned, OSLO_PUBLISH_OPTIONS, toWireV2, type Sample } from './fixtures.js';
import { waitFor } from './wait.js';

/** Fast reconnects and retries, so a fault test spends its time on the fault, not on backoff. */
export const FAULT_CONFIG = {
  transport: { prefetch: 50, reconnectInitialMs: 100, reconnectMaxMs: 1000, heartbeatSeconds: 10 },
  publish: { retryInitialMs: 50, retryMaxMs: 1000 },
  shutdown: { timeoutMs: 5000 },
};

export interface RelaySpec {
  readonly dmaapUrl: string;
  /** Default: the local broker directly. */
  readonly transportUrl?: string;
  /** Extra config sections, merged over FAULT_CONFIG section by section. */
  readonly config?: Record<string, Record<string, unknown>>;
}

let sample: Sample | undefined;

/** A versioned instance.power_off.end as nova puts it on the wire, with `id` as its message_id. */
export function notificationBody(id: string): Buffer {
  sample ??= expandVersioned('instance-power_off-end.json');
  return Buffer.from(JSON.stringify(toWireV2(sample, { messageId: id })));
}

export class RelayUnderTest {
  readonly vimId = uniqueName('fault');
  readonly exchange = uniqueName('nova-fault');
  readonly queue = `vim-event-relay.${this.vimId}`;
  readonly dlq = `${this.queue}.dead`;
  readonly topic = `T_${this.vimId}`;
  readonly dir = tempDir('ver-fault-');
  daemon!: SpawnedDaemon;
  private readonly spawned: SpawnedDaemon[] = [];

  constructor(private readonly spec: RelaySpec) {}

  config(): Record<string, unknown> {
    const sections: Record<string, Record<string, unknown>> = { dmaap: { url: this.spec.dmaapUrl, timeoutMs: 1000 } };
    for (const src of [FAULT_CONFIG, this.spec.config ?? {}] as Record<string, Record<string, unknown>>[]) {
      for (const [k, v] of Object.entries(src)) sections[k] = { ...sections[k], ...v };
    }
    return {
      ...sections,
      // Durable, as with amqp_durable_queues: the exchange survives a broker restart.
      vims: [
        {
          id: this.vimId,
          transportUrl: this.spec.transportUrl ?? rabbitUrl(),
          exchange: this.exchange,
          exchangeDurable: true,
        },
      ],
      subscriptions: [{ id: `${this.vimId}-all`, vimId: this.vimId, states: ['*'], topic: this.topic }],
    };
  }

  /** Declares the exchange (as nova would) and spawns the daemon; resolves once it consumes. */
  async start(): Promise<SpawnedDaemon> {
    await withChannel((ch) => ch.assertExchange(this.exchange, 'topic', { durable: true }));
    return this.spawn();
  }

  /** A new process on the same store and config (after a kill or a stop). */
  async spawn(): Promise<SpawnedDaemon> {
    this.daemon = await spawnDaemon(this.config(), { dir: this.dir });
    this.spawned.push(this.daemon);
    await waitFor(async () => (await this.vimStatus()) === 'REACHABLE', 'the VIM to be REACHABLE', 20000);
    return this.daemon;
  }

  /** Publishes one notification per id, persistent, and waits for the broker's confirms. */
  async publish(ids: readonly string[], routingKey = 'versioned_notifications.info'): Promise<void> {
    await withChannel(async (ch) => {
      for (const id of ids) ch.publish(this.exchange, routingKey, notificationBody(id), OSLO_PUBLISH_OPTIONS);
    });
  }

  /**
   * Publishes `ids` at about `perSecond` on one connection, in the background. The returned
   * promise resolves with the ids the broker confirmed (a publish can fail while the broker is down).
   */
  async publishSteadily(ids: readonly string[], perSecond: number): Promise<string[]> {
    const model = await connect(amqpUrl());
    model.on('error', () => undefined);
    const ch = await model.createConfirmChannel();
    const confirmed: string[] = [];
    const started = Date.now();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i++) {
      const due = started + (i * 1000) / perSecond;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const id = ids[i];
      waits.push(
        new Promise<void>((resolve) => {
          ch.publish(
            this.exchange,
            'versioned_notifications.info',
            notificationBody(id),
            OSLO_PUBLISH_OPTIONS,
            (err) => {
              if (!err) confirmed.push(id);
              resolve();
            },
          );
        }),
      );
    }
    await Promise.all(waits);
    await model.close();
    return confirmed;
  }

  async get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.daemon.adminUrl}${path}`);
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }

  async vimStatus(): Promise<string | undefined> {
    const r = await this.get(`/api/v1/vims/${this.vimId}`);
    return r.status === 200 ? String(r.body.status) : undefined;
  }

  /** Sum of a counter or gauge over the series whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = String((await this.get('/metrics')).body);
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
    }
    return sum;
  }

  /** Notifications the daemon holds unsettled (its in-flight gauge). */
  inFlight(): Promise<number> {
    return this.metric('vim_event_relay_in_flight', { vim: this.vimId });
  }

  /** Nothing ready in the broker and nothing in the daemon's hands. */
  async untilDrained(timeoutMs = 30000): Promise<void> {
    await waitFor(
      async () => (await queueState(this.queue)).ready === 0 && (await this.inFlight()) === 0,
      `queue ${this.queue} drained`,
      timeoutMs,
      100,
    );
  }

  /** SIGTERM every process still running, then delete the exchange and both queues. */
  async cleanup(): Promise<void> {
    for (const d of this.spawned) await stopDaemon(d, 15000);
    await cleanup({ queues: [this.queue, this.dlq], exchanges: [this.exchange] });
  }
}

/**
 * Ready messages and consumers of a queue, by a passive declare: fast, where rabbitmqctl takes
 * seconds (use queueCounts from rabbitmqctl.ts when the unacked count is the point).
 */
export function queueState(queue: string): Promise<{ ready: number; consumers: number }> {
  return withChannel(async (ch) => {
    const q = await ch.checkQueue(queue);
    return { ready: q.messageCount, consumers: q.consumerCount };
  });
}

export interface Tally {
  readonly sent: number;
  /** Distinct message_ids that arrived. */
  readonly delivered: number;
  /** Sent ids that never arrived. */
  readonly missing: string[];
  /** Arrivals beyond the first per message_id. */
  readonly duplicates: number;
  /** Arrived ids that were never sent (must be none). */
  readonly foreign: string[];
}

/** Compares what was sent with the message_ids of the published messages (JSON text). */
export function tally(sent: readonly string[], arrived: readonly string[]): Tally {
  const ids = arrived.map((j) => String((JSON.parse(j) as { message_id: unknown }).message_id));
  const got = new Set(ids);
  const want = new Set(sent);
  return {
    sent: sent.length,
    delivered: [...got].filter((id) => want.has(id)).length,
    missing: sent.filter((id) => !got.has(id)),
    duplicates: ids.length - got.size,
    foreign: [...got].filter((id) => !want.has(id)),
  };
}

/** One line per fault test, for the record: the figures the issue asks for. */
export function report(name: string, t: Tally, extra = ''): void {
  process.stdout.write(
    `fault ${name}: sent ${t.sent}, delivered ${t.delivered}, missing ${t.missing.length}, duplicates ${t.duplicates}${extra ? `, ${extra}` : ''}\n`,
  );
}

export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
