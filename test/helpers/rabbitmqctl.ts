/**
 * Reads what the broker itself says about a queue (ready and unacknowledged counts): the only
 * way to see that a consumer holds messages unacked. Uses rabbitmqctl on this machine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface QueueCounts { ready: number; unacked: number; consumers: number }

export async function queueCounts(queue: string, vhost = '/'): Promise<QueueCounts | undefined> {
  const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', 'list_queues', '-p', vhost, 'name', 'messages_ready', 'messages_unacknowledged', 'consumers'], { timeout: 30000 });
  for (const line of stdout.split('\n')) {
    const [name, ready, unacked, consumers] = line.trim().split(/\s+/);
    if (name === queue) return { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) };
  }
  return undefined;
}
