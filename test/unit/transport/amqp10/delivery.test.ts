import { Amqp10Delivery, type Settler } from '../../../../src/transport/amqp10/delivery.js';

function fakeSettler(deadLetter: Settler['deadLetter'] = async () => undefined) {
  const calls: string[] = [];
  const settler: Settler = {
    accept: () => calls.push('accept'),
    release: () => calls.push('release'),
    deadLetter: async (r) => {
      calls.push(`deadLetter:${r.code}`);
      return deadLetter(r);
    },
  };
  return { calls, settler };
}

const init = { vimId: 'v', body: Buffer.from('{}'), source: '/amq/queue/q', redelivered: false };
const reason = { code: 'NOT_JSON', message: 'bad' };

describe('Amqp10Delivery', () => {
  it.each([
    [
      'ack then requeue',
      (d: Amqp10Delivery) => {
        d.ack();
        d.requeue();
      },
      ['accept'],
    ],
    [
      'requeue then ack',
      (d: Amqp10Delivery) => {
        d.requeue();
        d.ack();
      },
      ['release'],
    ],
    [
      'ack twice',
      (d: Amqp10Delivery) => {
        d.ack();
        d.ack();
      },
      ['accept'],
    ],
  ])('settles once: %s', (_what, act, expected) => {
    const { calls, settler } = fakeSettler();
    const d = new Amqp10Delivery(init, settler);
    act(d);
    expect(calls).toEqual(expected);
    expect(d.settled).toBe(true);
  });

  it('ignores ack and requeue while a dead-letter copy is under way, and a deadLetter after ack', async () => {
    let finish!: () => void;
    const { calls, settler } = fakeSettler(() => new Promise<void>((r) => (finish = r)));
    const d = new Amqp10Delivery(init, settler);
    const pending = d.deadLetter(reason);
    d.ack();
    d.requeue();
    finish();
    await pending;
    await d.deadLetter(reason);
    expect(calls).toEqual(['deadLetter:NOT_JSON']);
    expect(d.settled).toBe(true);
  });

  it('stays unsettled when the dead-letter copy fails, so it can still be requeued', async () => {
    const { calls, settler } = fakeSettler(async () => {
      throw new Error('no DLQ');
    });
    const d = new Amqp10Delivery(init, settler);
    await expect(d.deadLetter(reason)).rejects.toThrow('no DLQ');
    expect(d.settled).toBe(false);
    d.requeue();
    expect(calls).toEqual(['deadLetter:NOT_JSON', 'release']);
  });

  it('carries the delivery facts', () => {
    const d = new Amqp10Delivery({ ...init, redelivered: true }, fakeSettler().settler);
    expect(d).toMatchObject({ vimId: 'v', source: '/amq/queue/q', redelivered: true });
    expect(d.body.toString()).toBe('{}');
  });
});
