/**
 * The pieces of the combined-fault test (test/fault/combined.test.ts) that the other helpers do
 * not have: notifications as oslo.messaging's notifier put them on the wire (the captured
 * test/fixtures/oslo-wire body, each with its own message_id and instance), cutting only this
 * test's own broker connections and database backends (other work shares the broker and the
 * PostgreSQL server), what the broker says of the test's queues and bindings, and a process's RSS.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ConfirmChannel } from 'amqplib';
import { ROOT } from './daemon.js';
import type { TestDatabase } from './postgres.js';

const run = promisify(execFile);

interface Capture {
  readonly delivery_info: { readonly routing_key: string };
  readonly properties: { content_type: string; content_encoding: string; delivery_mode: number; priority: number };
  readonly body: Record<string, unknown> & { payload: { 'nova_object.data': Record<string, unknown> } };
}

let capture: Capture | undefined;
function captured(): Capture {
  capture ??= JSON.parse(
    readFileSync(path.join(ROOT, 'test/fixtures/oslo-wire/sample-wire-versioned.json'), 'utf8'),
  ) as Capture;
  return capture;
}

/** The captured routing key (versioned_notifications.info). */
export function wireRoutingKey(): string {
  return captured().delivery_info.routing_key;
}

/** The captured body with `id` as its message_id, its own _unique_id and instance uuid. */
export function wireBody(id: string): Buffer {
  const c = captured();
  const digits = id.replace(/\D/g, '').padStart(12, '0').slice(-12);
  const body = {
    ...c.body,
    message_id: id,
    _unique_id: `${digits}${'0'.repeat(20)}`,
    payload: {
      ...c.body.payload,
      'nova_object.data': { ...c.body.payload['nova_object.data'], uuid: `00000000-0000-4000-8000-${digits}` },
    },
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** Publishes one notification with the captured properties; resolves on the broker's confirm. */
export function publishWire(ch: ConfirmChannel, exchange: string, id: string): Promise<boolean> {
  const p = captured().properties;
  const options = {
    contentType: p.content_type,
    contentEncoding: p.content_encoding,
    deliveryMode: p.delivery_mode,
    priority: p.priority,
  };
  return new Promise((resolve) => {
    try {
      ch.publish(exchange, wireRoutingKey(), wireBody(id), options, (err) => resolve(!err));
    } catch {
      resolve(false); // the channel is closed: not confirmed
    }
  });
}

async function ctl(...args: string[]): Promise<string[][]> {
  const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', ...args], { timeout: 30000 });
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split('\t'));
}

/** The broker's pids of the relay's connections for these VIMs (connection_name "vim-event-relay <id>"). */
export async function relayConnections(vimIds: readonly string[]): Promise<string[]> {
  const names = new Set(vimIds.map((id) => `vim-event-relay ${id}`));
  const rows = await ctl('list_connections', 'pid', 'client_properties');
  return rows
    .filter(([, props]) => {
      const name = /\{"connection_name","([^"]*)"\}/.exec(props ?? '')?.[1];
      return name !== undefined && names.has(name);
    })
    .map(([pid]) => pid);
}

/** rabbitmqctl close_connection for every connection of the relay's VIMs (only those); how many. */
export async function closeRelayConnections(vimIds: readonly string[]): Promise<number> {
  const pids = await relayConnections(vimIds);
  // Together: one rabbitmqctl takes about a second to start, and the cut is meant to be at once.
  await Promise.all(
    pids.map((pid) =>
      run('rabbitmqctl', ['-q', 'close_connection', pid, 'combined fault test'], { timeout: 30000 }).catch(
        () => undefined, // already gone
      ),
    ),
  );
  return pids.length;
}

/** pg_terminate_backend of every relay connection to this test's own database (only those); how many. */
export async function terminateRelayBackends(db: TestDatabase): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
      WHERE datname = $1 AND application_name = 'vim-event-relay' AND pid <> pg_backend_pid()`,
    [db.name],
  );
  return Number(r.rows[0]?.n ?? 0);
}

export interface QueueView {
  readonly name: string;
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
}

/** The queues whose name includes one of `parts`, as list_queues has them. */
export async function queuesNamed(parts: readonly string[]): Promise<QueueView[]> {
  const rows = await ctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers');
  return rows
    .filter(([name]) => parts.some((p) => name.includes(p)))
    .map(([name, ready, unacked, consumers]) => ({
      name,
      ready: Number(ready),
      unacked: Number(unacked),
      consumers: Number(consumers),
    }));
}

/** Queues bound to one of `exchanges` (the default exchange aside). */
export async function queuesBoundTo(exchanges: readonly string[]): Promise<string[]> {
  const rows = await ctl('list_bindings', 'source_name', 'destination_name', 'destination_kind');
  const bound = rows.filter(([src, , kind]) => exchanges.includes(src) && kind === 'queue').map(([, dst]) => dst);
  return [...new Set(bound)];
}

/** Resident set size of a process, in MiB (0 once it is gone). */
export function rssMiB(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}
