/**
 * Shared set-up for the AMQP 1.0 listener tests against the local RabbitMQ 3.x (AMQP 1.0
 * plugin on 5672): a durable queue bound like the relay's own 0-9-1 queue, declared with
 * amqplib because RabbitMQ 3.x cannot declare durable queues over AMQP 1.0.
 */
import rhea from 'rhea';
import type { Connection, EventContext, Message } from 'rhea';
import { routingKeys, type VimConfig } from '../../../../src/config/vim.js';
import { Amqp10Listener, type Amqp10Timeouts } from '../../../../src/transport/amqp10/listener.js';
import type { TransportOptions } from '../../../../src/transport/options.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { FAST_TRANSPORT, cleanup, testVim, uniqueName, withChannel } from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';

export const BROKER = '127.0.0.1:5672';
export const AMQP10_URL = `amqp://guest:guest@${BROKER}/`;
// RabbitMQ answers a failed login only after about 3 s, so connecting may take longer than that.
export const TEST_TIMEOUTS: Amqp10Timeouts = { deadLetterMs: 5000, closeMs: 2000 };
const TEST_CONNECT_TIMEOUT_MS = 8000;

export interface Topology {
  readonly vim: VimConfig;
  readonly names: { queues: string[]; exchanges: string[] };
}

/** A VIM read at /amq/queue/<its queue>, with exchange, durable queue, bindings and DLQ declared. */
export async function relayTopology(
  spec: { transportUrl?: string; queueArgs?: Record<string, unknown>; declareDlq?: boolean } = {},
): Promise<Topology> {
  const queue = uniqueName('relay10-q');
  const { vim, names } = testVim({
    transportUrl: spec.transportUrl ?? AMQP10_URL,
    queue,
    addresses: [`/amq/queue/${queue}`],
  });
  await withChannel(async (ch) => {
    await ch.assertExchange(vim.exchange, 'topic', { durable: false, autoDelete: false });
    await ch.assertQueue(vim.queue, { durable: true, arguments: spec.queueArgs });
    for (const key of routingKeys(vim)) await ch.bindQueue(vim.queue, vim.exchange, key);
    if (spec.declareDlq !== false) await ch.assertQueue(vim.deadLetterQueue, { durable: true });
  });
  return { vim, names };
}

/** Publishes exact bytes over 0-9-1 as oslo's notifier does (JSON, utf-8, persistent). */
export async function publishRaw(vim: VimConfig, routingKey: string, bodies: readonly Buffer[]): Promise<void> {
  await withChannel(async (ch) => {
    for (const b of bodies)
      ch.publish(vim.exchange, routingKey, b, {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        priority: 0,
      });
  });
}

/** Listeners made by a test, closed (and their queues removed) afterwards. */
export class Harness {
  private readonly listeners: Amqp10Listener[] = [];
  private readonly topologies: Topology[] = [];

  listener(vim: VimConfig, opts: Partial<TransportOptions> = {}): Amqp10Listener {
    const l = new Amqp10Listener(
      vim,
      { ...FAST_TRANSPORT, connectTimeoutMs: TEST_CONNECT_TIMEOUT_MS, ...opts },
      silentLogger(),
      TEST_TIMEOUTS,
    );
    this.listeners.push(l);
    return l;
  }

  async topology(spec?: Parameters<typeof relayTopology>[0]): Promise<Topology> {
    const t = await relayTopology(spec);
    this.topologies.push(t);
    return t;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.listeners.splice(0).map((l) => l.close()));
    for (const t of this.topologies.splice(0)) await cleanup(t.names);
  }
}

/**
 * Starts the listener, collecting what it hands out, and waits for the first connection
 * attempt's outcome (start() itself returns at once).
 */
export async function collect(listener: Amqp10Listener): Promise<Delivery[]> {
  const got: Delivery[] = [];
  await listener.start((d) => got.push(d));
  await waitFor(
    () => listener.status.status !== 'PENDING',
    'the first connection attempt to succeed or fail',
    TEST_CONNECT_TIMEOUT_MS * 2,
  );
  return got;
}

/** An independent rhea connection to the local broker, for sending or reading over AMQP 1.0. */
export function rawConnection(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const conn = rhea
      .create_container()
      .connect({ host: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', reconnect: false });
    conn.once('connection_open', () => resolve(conn));
    conn.once('disconnected', (ctx: EventContext) => reject(ctx.error ?? new Error('disconnected')));
    conn.on('session_error', () => undefined);
  });
}

/** Sends one message over AMQP 1.0 and waits for the broker's outcome. */
export function sendOver10(conn: Connection, address: string, message: Message): Promise<string> {
  return new Promise((resolve) => {
    const sender = conn.open_sender({ target: { address } });
    sender.once('sendable', () => sender.send(message));
    for (const outcome of ['accepted', 'rejected', 'released', 'modified'])
      sender.once(outcome, () => resolve(outcome));
  });
}

/** Takes up to `max` messages from a queue over AMQP 1.0 (accepting them), waiting `ms` for them. */
export async function readOver10(address: string, max: number, ms = 1500): Promise<Message[]> {
  const conn = await rawConnection();
  const got: Message[] = [];
  await new Promise<void>((resolve) => {
    const r = conn.open_receiver({ source: { address }, credit_window: 0, autoaccept: true });
    r.once('receiver_open', () => r.add_credit(max));
    r.on('message', (ctx: EventContext) => {
      if (ctx.message) got.push(ctx.message);
      if (got.length >= max) resolve();
    });
    setTimeout(resolve, ms);
  });
  conn.close();
  return got;
}
