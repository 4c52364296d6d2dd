/**
 * An AMQP 1.0 VIM reading its own queue from RabbitMQ 3.10: the relay declares it over 0-9-1 on
 * the same port (quorum by default), and the 1.0 listener then reads it.
 */
import { declareAmqp10Topology } from '../../../../src/transport/amqp10/declare.js';
import { deadLetterQueueArguments, queueArguments } from '../../../../src/transport/amqp091/queue-args.js';
import {
  cleanup,
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  tagOf,
  testVim,
  uniqueName,
  withChannel,
} from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';
import { AMQP10_URL, collect, Harness } from './support.js';

const h = new Harness();
const garbage: { queues: string[]; exchanges: string[] }[] = [];

afterEach(async () => {
  await h.dispose();
  for (const names of garbage.splice(0)) await cleanup(names);
});

const declaresWith = (queue: string, args: Record<string, unknown>) =>
  withChannel(async (ch) =>
    ch.assertQueue(queue, { durable: true, arguments: args }).then(
      () => true,
      () => false,
    ),
  );

describe('declareAmqp10Topology', () => {
  it.each([
    ['/amq/queue/', (q: string) => `/amq/queue/${q}`],
    ['/queues/ (4.x form)', (q: string) => `/queues/${encodeURIComponent(q)}`],
  ])(
    "declares the VIM's own queue named by %s as quorum, with its DLQ and bindings; the 1.0 listener reads it",
    async (_, address) => {
      const queue = uniqueName('relay10-decl');
      const { vim, names } = testVim({ transportUrl: AMQP10_URL, queue, addresses: [address(queue)] });
      garbage.push(names);
      const state = await declareAmqp10Topology(vim, FAST_TRANSPORT);
      expect(state?.queue).toMatchObject({ name: queue, type: 'quorum', asConfigured: true });
      expect(await declaresWith(vim.queue, queueArguments(vim))).toBe(true);
      expect(await declaresWith(vim.deadLetterQueue, deadLetterQueueArguments(vim))).toBe(true);
      if (address(queue).startsWith('/queues/')) return; // RabbitMQ 3.10 refuses the 4.x address form for attaching
      const got = await collect(h.listener(vim));
      await withChannel(
        async (ch) => void publishOslo(ch, vim.exchange, 'versioned_notifications.info', osloBody('q1')),
      );
      await waitFor(() => got.length === 1, 'the notification over AMQP 1.0 from the quorum queue');
      expect(tagOf(got[0])).toBe('msg-q1');
      // The relay's own dead-letter copy over 1.0 lands in the quorum dead-letter queue.
      await got[0].deadLetter({ code: 'UNMAPPABLE', message: 'test' });
      await waitFor(async () => (await messageCount(vim.deadLetterQueue)) === 1, 'the copy in the quorum DLQ');
    },
  );

  it('leaves other queues and routable addresses alone (nothing declared, no connection)', async () => {
    const { vim } = testVim({ transportUrl: 'amqp://u:p@127.0.0.1:1/', addresses: ['/amq/queue/someone-elses'] });
    expect(await declareAmqp10Topology(vim, FAST_TRANSPORT)).toBeUndefined();
    const routable = testVim({ transportUrl: 'amqp://u:p@127.0.0.1:1/', addresses: [] }).vim;
    expect(await declareAmqp10Topology(routable, FAST_TRANSPORT)).toBeUndefined();
  });
});
