/**
 * Coalesced acks against a model of RabbitMQ's channel: `multiple` acks every outstanding tag
 * up to the one named, and naming a tag that is not outstanding is a 406 that kills the channel.
 */
import fc from 'fast-check';
import { AckWindow, type AckSlot } from '../../../../src/transport/amqp091/acks.js';

/** What the broker does with our frames, and what it would refuse. */
class BrokerModel {
  readonly outstanding = new Set<number>();
  readonly frames: string[] = [];
  /** Tags the application has settled as done (only these may be covered by an ack). */
  readonly done = new Set<number>();
  deliver(tag: number): void {
    this.outstanding.add(tag);
  }
  ack(tag: number, multiple: boolean): void {
    this.frames.push(`${multiple ? 'ack-multiple' : 'ack'} ${tag}`);
    if (!this.outstanding.has(tag)) throw new Error(`406 unknown delivery tag ${tag}`);
    const covered = multiple ? [...this.outstanding].filter((t) => t <= tag) : [tag];
    for (const t of covered) {
      if (!this.done.has(t)) throw new Error(`ack of ${tag} (multiple=${multiple}) covers ${t}, still in hand`);
      this.outstanding.delete(t);
    }
  }
  nack(tag: number): void {
    this.frames.push(`nack ${tag}`);
    if (!this.outstanding.has(tag)) throw new Error(`406 unknown delivery tag ${tag}`);
    this.outstanding.delete(tag);
  }
}

function setup(stragglerMs = 20, flushMs = 0) {
  const broker = new BrokerModel();
  const w = new AckWindow<number>((tag, multiple) => broker.ack(tag, multiple), { stragglerMs, flushMs, flushAt: 8 });
  const slots = new Map<number, AckSlot<number>>();
  const deliver = (...tags: number[]) => {
    for (const t of tags) {
      broker.deliver(t);
      slots.set(t, w.track(t));
    }
  };
  const ack = (...tags: number[]) => {
    for (const t of tags) {
      broker.done.add(t);
      w.ack(slots.get(t)!);
    }
  };
  // As Amqp091Delivery.requeue does: its own frame first, then the slot.
  const requeue = (t: number) => {
    broker.nack(t);
    w.release(slots.get(t)!);
  };
  return { broker, w, deliver, ack, requeue };
}

const turn = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('AckWindow', () => {
  it('acks a burst settled in order with one multiple ack, at the end of the turn', async () => {
    const { broker, w, deliver, ack } = setup();
    deliver(1, 2, 3, 4);
    ack(1, 2, 3);
    expect(broker.frames).toEqual([]);
    expect(w.unsettled).toBe(1);
    await turn();
    expect(broker.frames).toEqual(['ack-multiple 3']);
    expect([...broker.outstanding]).toEqual([4]);
  });

  it('holds acks behind an unsettled lower tag, then covers them all once it settles', async () => {
    const { broker, deliver, ack } = setup();
    deliver(1, 2, 3);
    ack(3, 2);
    await turn();
    expect(broker.frames).toEqual([]);
    ack(1);
    await turn();
    expect(broker.frames).toEqual(['ack-multiple 3']);
    expect(broker.outstanding.size).toBe(0);
  });

  it('a requeued tag inside the range is nacked at once and never named by the multiple ack', async () => {
    const { broker, deliver, ack, requeue } = setup();
    deliver(1, 2, 3, 4);
    ack(1);
    requeue(2);
    ack(4);
    await turn();
    expect(broker.frames).toEqual(['nack 2', 'ack-multiple 1']);
    ack(3);
    await turn();
    expect(broker.frames).toEqual(['nack 2', 'ack-multiple 1', 'ack-multiple 4']);
    expect(broker.outstanding.size).toBe(0);
  });

  it('a requeue of the last tag still lets the acks before it go', async () => {
    const { broker, deliver, ack, requeue } = setup();
    deliver(1, 2);
    ack(1);
    requeue(2);
    await turn();
    expect(broker.frames).toEqual(['nack 2', 'ack-multiple 1']);
    expect(broker.outstanding.size).toBe(0);
  });

  it('waits flushMs for more acks, or flushes at once when flushAt are waiting', async () => {
    const { broker, deliver, ack } = setup(20, 15);
    deliver(...Array.from({ length: 12 }, (_, i) => i + 1));
    ack(1, 2);
    await turn();
    expect(broker.frames).toEqual([]);
    await sleep(30);
    expect(broker.frames).toEqual(['ack-multiple 2']);
    ack(3, 4, 5, 6, 7, 8, 9, 10);
    await turn();
    expect(broker.frames).toEqual(['ack-multiple 2', 'ack-multiple 10']);
  });

  it('acks held behind a straggler for stragglerMs go one by one, so they free their prefetch slots', async () => {
    const { broker, deliver, ack, w } = setup(10);
    deliver(1, 2, 3);
    ack(2, 3);
    await turn();
    expect(broker.frames).toEqual([]);
    await sleep(40);
    expect(broker.frames).toEqual(['ack 2', 'ack 3']);
    expect(w.unsent).toBe(0);
    ack(1);
    await turn();
    expect(broker.frames).toEqual(['ack 2', 'ack 3', 'ack-multiple 1']);
  });

  it('flushAll sends every settled ack now (before a channel close); unsettledItems lists the rest', () => {
    const { broker, deliver, ack, w } = setup();
    deliver(1, 2, 3, 4);
    ack(1, 3);
    w.flushAll();
    expect(broker.frames).toEqual(['ack-multiple 1', 'ack 3']);
    expect(w.unsettledItems()).toEqual([2, 4]);
  });

  it('after end() (channel gone) nothing is sent and nothing is in hand', async () => {
    const { broker, deliver, ack, w } = setup();
    deliver(1, 2);
    ack(1);
    w.end();
    ack(2);
    await turn();
    w.flushAll();
    expect(broker.frames).toEqual([]);
    expect(w.unsettled).toBe(0);
  });

  it('any order of acks and requeues: every ack reaches the broker, none covers a delivery in hand, no 406', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i + 1),
              { minLength: n, maxLength: n },
            ),
            fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
          ),
        ),
        async ([n, order, requeues, pauses]) => {
          const { broker, deliver, ack, requeue, w } = setup(1, pauses[0] ?? 0);
          deliver(...Array.from({ length: n }, (_, i) => i + 1));
          for (const [i, tag] of order.entries()) {
            if (requeues[i]) requeue(tag);
            else ack(tag);
            if (pauses[i] === 0) await turn();
            if (pauses[i] === 3) await sleep(2);
          }
          await turn();
          w.flushAll();
          expect(broker.outstanding.size).toBe(0);
          expect(w.unsettled).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
