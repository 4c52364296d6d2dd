/**
 * A listener whose VIM is no longer registered as it has it (removed or moved, maybe by another
 * replica: the ListenerHooks.stillWanted hook says so) never declares its queue again when the
 * queue is deleted under it, over AMQP 0-9-1 (the broker's basic.cancel) and AMQP 1.0 (the link
 * detached, then the reconnect). Registered again, it declares and consumes as before; and a VIM
 * still wanted recovers from a mistaken delete (failover.test.ts).
 */
import { Amqp091Listener } from '../../../src/transport/amqp091/listener.js';
import { Amqp10Listener } from '../../../src/transport/amqp10/listener.js';
import type { VimListener } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { cleanup, FAST_TRANSPORT, testVim, withChannel } from '../../helpers/amqp.js';
import { waitFor } from '../../helpers/wait.js';
import { relayTopology, TEST_TIMEOUTS } from './amqp10/support.js';

const garbage: { queues: string[]; exchanges: string[] }[] = [];
const listeners: VimListener[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const names of garbage.splice(0)) await cleanup(names);
});

const consumersOf = (queue: string) =>
  withChannel((ch) => ch.checkQueue(queue).then((q) => q.consumerCount)).catch(() => undefined);

/** Deletes the queue under a listener told it is no longer wanted; the queue must stay gone until it is wanted again. */
async function deletedWhileUnwanted(make: (stillWanted: () => boolean) => VimListener, queue: string): Promise<void> {
  let wanted = true;
  const l = make(() => wanted);
  listeners.push(l);
  await l.start((d) => d.ack());
  await waitFor(async () => (await consumersOf(queue)) === 1, 'consuming');

  wanted = false;
  await withChannel((ch) => ch.deleteQueue(queue));
  // The supervisor has had the question and answered it by not connecting.
  await waitFor(
    () => l.status.reason?.includes('its listener is stopping') === true,
    'the listener waiting to be stopped',
  );
  expect(l.status.status).toBe('UNREACHABLE');
  expect(await consumersOf(queue)).toBeUndefined();

  wanted = true;
  await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE once wanted again');
  await waitFor(async () => (await consumersOf(queue)) === 1, 'the queue declared again, with our consumer');
}

describe('a listener whose VIM is no longer wanted', () => {
  it('AMQP 0-9-1: a consumer the broker cancelled does not declare the deleted queue again', async () => {
    const { vim, names } = testVim();
    garbage.push(names);
    await deletedWhileUnwanted(
      (stillWanted) => new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger(), { stillWanted }),
      vim.queue,
    );
  });

  it('AMQP 1.0 on RabbitMQ: the reconnect after the link was detached does not declare the deleted queue again', async () => {
    const { vim, names } = await relayTopology();
    garbage.push(names);
    await deletedWhileUnwanted(
      (stillWanted) => new Amqp10Listener(vim, FAST_TRANSPORT, silentLogger(), TEST_TIMEOUTS, { stillWanted }),
      vim.queue,
    );
  });
});
