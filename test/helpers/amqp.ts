/**
 * Test helpers for the real RabbitMQ at AMQP_URL (default the local guest account). Every test
 * names its exchanges and queues with uniqueName() and deletes them afterwards, so parallel
 * test files and other people's work on the same broker never see each other's traffic.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ConfirmChannel } from 'amqplib';
import { applyVimDefaults, type VimConfig, type VimSpec } from '../../src/config/vim.js';
import { declareTopology } from '../../src/transport/amqp091/topology.js';
import type { TransportOptions } from '../../src/transport/options.js';
import type { Delivery, ListenerStatus, ListenerStatusChange, VimListener } from '../../src/transport/types.js';

export function amqpUrl(): string {
  return process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** The same broker as an oslo transport_url (rabbit://), optionally with another host/port. */
export function rabbitUrl(hostPort?: string): string {
  const u = new URL(amqpUrl());
  const host = hostPort ?? `${u.hostname}:${u.port || '5672'}`;
  return `rabbit://${u.username || 'guest'}:${u.password || 'guest'}@${host}${u.pathname || '/'}`;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * Runs fn on a fresh confirm channel of a fresh connection, waits until the broker confirmed
 * every publish (amqplib may write the connection close ahead of buffered publishes, which
 * are then lost), then closes both.
 */
export async function withChannel<T>(fn: (ch: ConfirmChannel) => Promise<T>, url: string = amqpUrl()): Promise<T> {
  const model = await connect(url);
  model.on('error', () => undefined);
  try {
    const ch = await model.createConfirmChannel();
    // A refused operation rejects its promise; the 'error' event must not crash the test.
    ch.on('error', () => undefined);
    const result = await fn(ch);
    await ch.waitForConfirms().catch(() => undefined);
    return result;
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Publishes like oslo.messaging's notifier: JSON, utf-8, persistent, priority 0, no headers. */
export function publishOslo(ch: Channel, exchange: string, routingKey: string, body: object): boolean {
  return ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(body), 'utf8'), {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
  });
}

/** Deletes queues and exchanges, each on its own channel (a 404 would close a shared one). */
export async function cleanup(names: { queues?: readonly string[]; exchanges?: readonly string[] }): Promise<void> {
  const model = await connect(amqpUrl());
  model.on('error', () => undefined);
  try {
    const jobs = [
      ...(names.queues ?? []).map((q) => (ch: Channel) => ch.deleteQueue(q)),
      ...(names.exchanges ?? []).map((x) => (ch: Channel) => ch.deleteExchange(x)),
    ];
    for (const job of jobs) {
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      await job(ch).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** How many ready messages a queue holds (passive declare). */
export function messageCount(queue: string): Promise<number> {
  return withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
}

/** Transport options for tests: small prefetch, fast reconnects. */
export const FAST_TRANSPORT: TransportOptions = {
  prefetch: 10,
  reconnectInitialMs: 50,
  reconnectMaxMs: 400,
  heartbeatSeconds: 5,
  maxBodyBytes: 1048576,
  connectTimeoutMs: 10000,
  maxConcurrentConnects: 32,
};

/** A VIM with its own exchange, queue and DLQ names, plus what cleanup() needs to remove them. */
export function testVim(spec: Partial<VimSpec> = {}): {
  vim: VimConfig;
  names: { queues: string[]; exchanges: string[] };
} {
  const id = uniqueName('vim');
  const vim = applyVimDefaults({
    id,
    transportUrl: rabbitUrl(),
    exchange: uniqueName('relay-test-x'),
    queue: uniqueName('relay-test-q'),
    ...spec,
  });
  return { vim, names: { queues: [vim.queue, vim.deadLetterQueue], exchanges: [vim.exchange] } };
}

/**
 * What a test file's VIMs leave on the broker: vim() makes one as testVim() does, keep() adds
 * names made otherwise, and removeAll() (in afterEach) deletes them all.
 */
export class TestVims {
  private readonly names: { queues: string[]; exchanges: string[] }[] = [];

  vim(spec: Partial<VimSpec> = {}): VimConfig {
    const { vim, names } = testVim(spec);
    this.names.push(names);
    return vim;
  }

  keep(names: { queues: string[]; exchanges: string[] }): void {
    this.names.push(names);
  }

  async removeAll(): Promise<void> {
    for (const names of this.names.splice(0)) await cleanup(names);
  }
}

/** Declares a VIM's exchange, queues and bindings as the listener would, on a connection of its own. */
export async function declareVim(vim: VimConfig): Promise<void> {
  const model = await connect(amqpUrl());
  try {
    await declareTopology(model, vim);
  } finally {
    await model.close();
  }
}

/** Whether a queue is there (passive declare). */
export const queueExists = (queue: string): Promise<boolean> =>
  withChannel((ch) =>
    ch.checkQueue(queue).then(
      () => true,
      () => false,
    ),
  );

/** Records a listener's status changes. */
export function statusLog(listener: VimListener): ListenerStatus[] {
  const seen: ListenerStatus[] = [listener.status.status];
  listener.on('status', (s: ListenerStatusChange) => seen.push(s.status));
  return seen;
}

/** A body shaped like an oslo notification, tagged so a test can tell its messages apart. */
export function osloBody(tag: string | number): object {
  return {
    message_id: `msg-${tag}`,
    publisher_id: 'compute.host1',
    event_type: 'compute.instance.power_off.end',
    priority: 'INFO',
    payload: { instance_id: `inst-${tag}` },
    timestamp: '2026-11-22 00:30:05.336446',
  };
}

export function tagOf(d: Delivery): string {
  return (JSON.parse(d.body.toString('utf8')) as { message_id: string }).message_id;
}
