/**
 * Reads what the broker itself says about a queue (ready and unacknowledged counts): the only
 * way to see that a consumer holds messages unacked. Uses rabbitmqctl on this machine.
 *
 * For a quorum queue, list_queues' message counts come from metrics the queue publishes on its
 * tick (every 5 s), so they lag: measured on 3.10, 5 deliveries held showed 0 unacked for ~4 s
 * and 5 for ~4 s after they were acked. For those the counts are read where they are exact:
 * ready and consumers from a passive declare, unacked from the channels consuming the queue
 * (list_channels asks each channel process), consumers from list_consumers: a quorum queue's own
 * consumer count keeps counting a cancelled consumer until its deliveries are settled. A channel
 * that cancelled its consumer but still holds deliveries is therefore not counted in unacked:
 * close the channel (or the process) before asserting 0.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { withChannel } from './amqp.js';

const run = promisify(execFile);

export interface QueueCounts {
  ready: number;
  unacked: number;
  consumers: number;
}

async function ctl(...args: string[]): Promise<string[][]> {
  const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', ...args], { timeout: 30000 });
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\t/));
}

/** Consumers of `queue` and the unacked deliveries their channels hold (exact, unlike quorum queue metrics). */
async function byConsumers(queue: string, vhost: string): Promise<{ unacked: number; consumers: number }> {
  const rows = (await ctl('list_consumers', '-p', vhost, 'queue_name', 'channel_pid')).filter(([q]) => q === queue);
  const channels = new Set(rows.map(([, pid]) => pid));
  if (channels.size === 0) return { unacked: 0, consumers: 0 };
  const held = await ctl('list_channels', 'pid', 'messages_unacknowledged');
  return {
    unacked: held.filter(([pid]) => channels.has(pid)).reduce((sum, [, n]) => sum + Number(n), 0),
    consumers: rows.length,
  };
}

export async function queueCounts(queue: string, vhost = '/'): Promise<QueueCounts | undefined> {
  for (const [name, type, ready, unacked, consumers] of await ctl(
    'list_queues',
    '-p',
    vhost,
    'name',
    'type',
    'messages_ready',
    'messages_unacknowledged',
    'consumers',
  )) {
    if (name !== queue) continue;
    if (type !== 'quorum' || vhost !== '/')
      return { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
    const q = await withChannel((ch) => ch.checkQueue(queue));
    return { ready: q.messageCount, ...(await byConsumers(queue, vhost)) };
  }
  return undefined;
}

/** The bindings to `queue` as the broker lists them ("<exchange> <routing key>"), the default exchange's left out. */
export async function bindingsOf(queue: string, vhost = '/'): Promise<string[]> {
  const rows = await ctl(
    'list_bindings',
    '-p',
    vhost,
    'source_name',
    'destination_name',
    'destination_kind',
    'routing_key',
  );
  return rows
    .filter(([source, dest, kind]) => source !== '' && dest === queue && kind === 'queue')
    .map(([source, , , key]) => `${source} ${key}`)
    .sort();
}
