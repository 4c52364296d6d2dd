/**
 * Dead-lettering over AMQP 1.0 on RabbitMQ 3.x: first what the broker itself does with each
 * outcome (why the relay copies instead of rejecting), then the relay's deadLetter().
 */
import type { GetMessage } from 'amqplib';
import type { EventContext } from 'rhea';
import { isRelayError } from '../../../../src/errors.js';
import { messageCount, uniqueName, withChannel } from '../../../helpers/amqp.js';
import { sleep, waitFor } from '../../../helpers/wait.js';
import { Harness, collect, publishRaw, rawConnection, readOver10 } from './support.js';

const h = new Harness();

/** One message taken from a queue over 0-9-1 (fails the test when there is none). */
async function getOver091(queue: string): Promise<GetMessage> {
  const msg = await withChannel((ch) => ch.get(queue, { noAck: true }));
  if (!msg) throw new Error(`no message in ${queue}`);
  return msg;
}
afterEach(() => h.dispose());

const NOTIFICATION = Buffer.from(
  JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{"event_type":"compute.instance.delete.end"}' }),
  'utf8',
);
const reason = { code: 'UNMAPPABLE', message: 'payload lacks instance_id' };

type Outcome = 'rejected' | 'modified';

/** Takes one message with a bare rhea receiver and settles it with `outcome`; reports a session error if any. */
async function settleRaw(queue: string, outcome: Outcome): Promise<string | undefined> {
  const conn = await rawConnection();
  try {
    return await new Promise<string | undefined>((resolve) => {
      const session = conn.create_session();
      session.on('session_error', (ctx: EventContext) =>
        resolve(String((ctx.session?.error as { description?: string } | undefined)?.description ?? 'session error')),
      );
      session.begin();
      const r = session.open_receiver({
        source: { address: `/amq/queue/${queue}` },
        credit_window: 0,
        autoaccept: false,
      });
      r.once('receiver_open', () => r.add_credit(1));
      r.once('message', (ctx: EventContext) => {
        if (outcome === 'rejected')
          ctx.delivery!.reject({ condition: 'amqp:internal-error', description: 'relay reason' });
        else
          ctx.delivery!.modified({
            delivery_failed: true,
            undeliverable_here: true,
            message_annotations: { 'x-relay-reason-code': 'X' },
          });
        setTimeout(() => resolve(undefined), 500);
      });
    });
  } finally {
    conn.close();
    await sleep(300);
  }
}

describe('RabbitMQ 3.x AMQP 1.0 outcomes (what the broker does, measured)', () => {
  it('rejected: dropped when the queue has no dead-letter exchange', async () => {
    const { vim } = await h.topology();
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(async () => (await messageCount(vim.queue)) === 1, 'the message queued');
    expect(await settleRaw(vim.queue, 'rejected')).toBeUndefined();
    expect(await messageCount(vim.queue)).toBe(0);
    expect(await messageCount(vim.deadLetterQueue)).toBe(0);
  });

  it("rejected: dead-lettered through the queue's x-dead-letter-exchange, with x-death but not the reason", async () => {
    const dlx = uniqueName('relay10-dlx');
    await withChannel(async (ch) => {
      await ch.assertExchange(dlx, 'fanout', { durable: false, autoDelete: true });
    });
    const { vim, names } = await h.topology({ queueArgs: { 'x-dead-letter-exchange': dlx } });
    names.exchanges.push(dlx);
    await withChannel((ch) => ch.bindQueue(vim.deadLetterQueue, dlx, ''));
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(async () => (await messageCount(vim.queue)) === 1, 'the message queued');
    await settleRaw(vim.queue, 'rejected');
    await waitFor(async () => (await messageCount(vim.deadLetterQueue)) === 1, 'the dead letter');
    const got = await getOver091(vim.deadLetterQueue);
    expect(got.content).toEqual(NOTIFICATION);
    const headers = got.properties.headers ?? {};
    expect(headers['x-first-death-reason']).toBe('rejected');
    expect(JSON.stringify(headers)).not.toContain('relay reason');
  });

  it('modified: not a supported outcome; the broker ends the session and the message stays queued', async () => {
    const { vim } = await h.topology();
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(async () => (await messageCount(vim.queue)) === 1, 'the message queued');
    expect(await settleRaw(vim.queue, 'modified')).toMatch(/Unrecognised state: \{'v1_0.modified'/);
    await waitFor(async () => (await messageCount(vim.queue)) === 1, 'the message back in the queue');
  });
});

describe('Amqp10Listener.deadLetter on RabbitMQ 3.x', () => {
  it('copies the body with its reason into the dead-letter queue, then removes the original', async () => {
    const { vim } = await h.topology();
    const listener = h.listener(vim);
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(() => got.length === 1, 'the delivery');
    await got[0].deadLetter(reason);
    expect(listener.unsettled()).toBe(0);
    await got[0].deadLetter(reason); // twice: ignored
    got[0].ack(); // after dead-lettering: ignored
    await listener.close();
    expect(await messageCount(vim.queue)).toBe(0);
    expect(await messageCount(vim.deadLetterQueue)).toBe(1);

    const [copy] = await readOver10(`/amq/queue/${vim.deadLetterQueue}`, 1);
    expect(copy).toBeDefined();
    expect(Buffer.from((copy.body as { content: Buffer }).content)).toEqual(NOTIFICATION);
    expect(copy.content_type).toBe('application/json');
    expect(copy.durable).toBe(true);
    expect(copy.application_properties).toEqual({
      'x-relay-reason-code': 'UNMAPPABLE',
      'x-relay-reason': 'payload lacks instance_id',
      'x-relay-vim-id': vim.id,
      'x-relay-source': `/amq/queue/${vim.queue}`,
    });
  });

  it('is readable over 0-9-1 too: the exact bytes, the reason inside x-amqp-1.0-app-properties', async () => {
    const { vim } = await h.topology();
    const got = await collect(h.listener(vim));
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(() => got.length === 1, 'the delivery');
    await got[0].deadLetter(reason);
    await waitFor(async () => (await messageCount(vim.deadLetterQueue)) === 1, 'the copy');
    const msg = await getOver091(vim.deadLetterQueue);
    expect(msg.content).toEqual(NOTIFICATION);
    expect(msg.properties.contentType).toBe('application/json');
    expect(msg.properties.deliveryMode).toBe(2);
    const appProps = msg.properties.headers?.['x-amqp-1.0-app-properties'];
    expect(Buffer.from(String(appProps), 'latin1').toString('latin1')).toContain('UNMAPPABLE');
  });

  it('keeps the original when the dead-letter queue does not exist, and the receivers stay up', async () => {
    const { vim } = await h.topology({ declareDlq: false });
    const listener = h.listener(vim);
    const got = await collect(listener);
    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(() => got.length === 1, 'the delivery');
    // The listener declares its dead-letter queue as it connects; deleted under it, the copy has nowhere to go.
    await withChannel(async (ch) => void (await ch.deleteQueue(vim.deadLetterQueue)));
    const err = await got[0].deadLetter(reason).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRelayError(err) && err.code).toBe('BROKER_REFUSED');
    expect(String((err as Error).message)).toMatch(/NOT_FOUND - no queue/);
    expect(listener.unsettled()).toBe(1);
    expect(listener.status.status).toBe('REACHABLE');

    await publishRaw(vim, 'notifications.info', [NOTIFICATION]);
    await waitFor(() => got.length === 2, 'a later delivery on the same receiver');
    got[0].requeue();
    got[1].ack();
    await waitFor(() => got.length === 3, 'the requeued original');
    expect(got[2].redelivered).toBe(true);
    got[2].ack();
  });
});
