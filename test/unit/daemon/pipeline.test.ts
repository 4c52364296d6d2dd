/**
 * The settle rules, with a recording Delivery and a scripted publisher (fakes are right here:
 * the point is the decision ack / requeue / dead-letter, and faults on demand).
 */
import { Pipeline, type PipelineObserver } from '../../../src/daemon/pipeline.js';
import { VimState } from '../../../src/daemon/vim-state.js';
import { PermanentPublishError } from '../../../src/publish/types.js';
import { DestinationClosedError } from '../../../src/publish/destination.js';
import { ScriptedDestination, type Answer } from '../../helpers/scripted-destination.js';
import type { DeadLetterReason, Delivery } from '../../../src/transport/types.js';
import type { Subscription } from '../../../src/model/subscription.js';
import { silentLogger } from '../../../src/util/logger.js';
import { expandVersioned, powerOffV2, toWireV2 } from '../../helpers/fixtures.js';
import { RecentStateChanges } from '../../../src/store/recent-window.js';

type Settled = { kind: 'ack' } | { kind: 'requeue' } | { kind: 'dead'; reason: DeadLetterReason };

function delivery(body: Buffer | string): Delivery & { settled: Settled[] } {
  const settled: Settled[] = [];
  return {
    vimId: 'v1',
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    source: 'versioned_notifications.info',
    redelivered: false,
    settled,
    ack: () => void settled.push({ kind: 'ack' }),
    requeue: () => void settled.push({ kind: 'requeue' }),
    deadLetter: async (reason) => void settled.push({ kind: 'dead', reason }),
  };
}

class ScriptedPublisher extends ScriptedDestination {
  constructor(answer: Answer) {
    super(answer);
  }
}

function counters(): PipelineObserver & { c: Record<string, number> } {
  const c: Record<string, number> = {};
  const inc = (k: string) => (c[k] = (c[k] ?? 0) + 1);
  return {
    c,
    consumed: () => inc('consumed'),
    filtered: () => inc('filtered'),
    published: () => inc('published'),
    deadLettered: (_v, code) => inc(`dead:${code}`),
    duplicate: () => inc('duplicate'),
    inFlight: (_v, d) => inc(d > 0 ? 'in' : 'out'),
  };
}

const subs: Subscription[] = [
  { id: 's1', vimId: 'v1', states: ['POWER_OFF'], topic: 'A' },
  { id: 's2', vimId: 'v1', states: ['*'], topic: 'B' },
];
const powerOff = (id = 'm-1') => JSON.stringify(powerOffV2(id));
const state = (): VimState => new VimState('v1', { dedupeWindow: 100 });
const ok = (_topic: string) => Promise.resolve();

function pipeline(pub: ScriptedDestination, obs = counters(), maxBodyBytes = 1 << 20) {
  return new Pipeline({
    destinations: { dmaap: pub },
    defaultSink: 'dmaap',
    subscriptions: () => subs,
    observer: obs,
    logger: silentLogger(),
    maxBodyBytes,
  });
}

describe('Pipeline settle rules', () => {
  it('acks only after every topic accepted', async () => {
    let releaseB!: () => void;
    const pub = new ScriptedPublisher((t) => (t === 'B' ? new Promise((r) => (releaseB = () => r())) : ok(t)));
    const d = delivery(powerOff());
    const done = pipeline(pub).accept(state(), d);
    await new Promise((r) => setTimeout(r, 20));
    expect(pub.calls.map((c) => c.topic).sort()).toEqual(['A', 'B']);
    expect(d.settled).toEqual([]); // A accepted, B not yet: nothing settled
    releaseB();
    await done;
    expect(d.settled).toEqual([{ kind: 'ack' }]);
  });

  it('publishes one message object per topic, the same JSON for the same event', async () => {
    const pub = new ScriptedPublisher(ok);
    await pipeline(pub).accept(state(), delivery(powerOff()));
    const [a, b] = pub.calls;
    expect(JSON.parse(a.json)).toMatchObject({ event: 'POWER_OFF', message_id: 'm-1', vim_id: 'v1' });
    expect(a.json).toBe(b.json);
  });

  it.each([
    ['not JSON', 'garbage', 'NOT_JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'NOT_JSON'],
    ['wrong envelope version', JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' }), 'BAD_ENVELOPE'],
    ['no event_type', JSON.stringify({ payload: {} }), 'NOT_A_NOTIFICATION'],
  ])('dead-letters %s with its code and publishes nothing', async (_name, body, code) => {
    const pub = new ScriptedPublisher(ok);
    const obs = counters();
    const d = delivery(body);
    await pipeline(pub, obs).accept(state(), d);
    expect(d.settled).toEqual([{ kind: 'dead', reason: expect.objectContaining({ code }) }]);
    expect(pub.calls).toHaveLength(0);
    expect(obs.c[`dead:${code}`]).toBe(1);
  });

  it('dead-letters a body over maxBodyBytes without parsing it', async () => {
    const d = delivery(powerOff());
    await pipeline(new ScriptedPublisher(ok), counters(), 100).accept(state(), d);
    expect(d.settled).toEqual([{ kind: 'dead', reason: expect.objectContaining({ code: 'BODY_TOO_LARGE' }) }]);
  });

  it('acks and counts as filtered what no subscription wants', async () => {
    const obs = counters();
    const d = delivery(JSON.stringify(toWireV2(expandVersioned('instance-pause-start.json'))));
    const pub = new ScriptedPublisher(ok);
    await pipeline(pub, obs).accept(state(), d);
    expect(d.settled).toEqual([{ kind: 'ack' }]);
    expect(pub.calls).toHaveLength(0);
    expect(obs.c.filtered).toBe(1);
  });

  it('dead-letters with DMAAP_REJECTED when a topic refuses permanently', async () => {
    const pub = new ScriptedPublisher((t) =>
      t === 'B' ? Promise.reject(new PermanentPublishError('DMAAP_REJECTED', 'HTTP 403 blacklisted', 403)) : ok(t),
    );
    const d = delivery(powerOff());
    await pipeline(pub).accept(state(), d);
    expect(d.settled).toEqual([{ kind: 'dead', reason: { code: 'DMAAP_REJECTED', message: 'HTTP 403 blacklisted' } }]);
  });

  it('requeues when the publisher closes before DMaaP accepted', async () => {
    const d = delivery(powerOff());
    await pipeline(new ScriptedPublisher(() => Promise.reject(new DestinationClosedError('a destination')))).accept(
      state(),
      d,
    );
    expect(d.settled).toEqual([{ kind: 'requeue' }]);
  });

  it('drops a redelivery of an already published message_id, and only after success', async () => {
    const obs = counters();
    const st = state();
    const failing = pipeline(
      new ScriptedPublisher(() => Promise.reject(new DestinationClosedError('a destination'))),
      obs,
    );
    await failing.accept(st, delivery(powerOff('x')));
    const pub = new ScriptedPublisher(ok);
    const p = pipeline(pub, obs);
    await p.accept(st, delivery(powerOff('x'))); // not published before: must publish
    expect(pub.calls).toHaveLength(2);
    const again = delivery(powerOff('x'));
    await p.accept(st, again);
    expect(pub.calls).toHaveLength(2);
    expect(again.settled).toEqual([{ kind: 'ack' }]);
    expect(obs.c.duplicate).toBe(1);
  });

  it('tracks in-flight deliveries until settled', async () => {
    let release!: () => void;
    const pub = new ScriptedPublisher(() => new Promise((r) => (release = () => r())));
    const st = state();
    const done = pipeline(pub).accept(
      st,
      delivery(JSON.stringify(toWireV2(expandVersioned('instance-create-end.json')))),
    );
    expect(st.inFlight.size).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await done;
    expect(st.inFlight.size).toBe(0);
  });

  it("hands the check_vim_status window (the store's) each completed operation, in order", async () => {
    const window = new RecentStateChanges(10);
    const st = new VimState('v1', { dedupeWindow: 100, shareRecent: (_vim, c) => window.push(c) });
    const p = pipeline(new ScriptedPublisher(ok));
    await p.accept(st, delivery(powerOff('1')));
    await p.accept(
      st,
      delivery(JSON.stringify(toWireV2(expandVersioned('instance-delete-end.json'), { messageId: '2' }))),
    );
    expect(window.query(['POWER_OFF', 'DELETE']).map((c) => c.event)).toEqual(['DELETE', 'POWER_OFF']);
    expect(window.query(['delete'])).toHaveLength(1);
  });
});
