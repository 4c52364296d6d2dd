/**
 * Routing and the one settlement place: each message goes to the destination its subscription
 * names, a notification is acked only when every destination accepted, and every failure
 * settles by its catalogue code's disposition.
 */
import { Pipeline, type SideStep } from '../../../src/daemon/pipeline.js';
import { VimState } from '../../../src/daemon/vim-state.js';
import { RelayError } from '../../../src/errors.js';
import type { Subscription } from '../../../src/model/subscription.js';
import type { DeadLetterReason, Delivery } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { ComputeNodeStep } from '../../../src/steps/render.js';
import { versionedMetrics } from '../../helpers/compute-node.js';
import { powerOffV2, toWireV2 } from '../../helpers/fixtures.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';
import { silentObserver } from '../../helpers/silent-observer.js';

type Settled = 'ack' | 'requeue' | `dead:${string}`;
function delivery(
  id = 'm-1',
  body = Buffer.from(JSON.stringify(powerOffV2(id))),
): Delivery & { settled: Settled[]; reasons: DeadLetterReason[] } {
  const settled: Settled[] = [];
  const reasons: DeadLetterReason[] = [];
  return {
    vimId: 'v1',
    body,
    source: 'versioned_notifications.info',
    redelivered: false,
    settled,
    reasons,
    ack: () => void settled.push('ack'),
    requeue: () => void settled.push('requeue'),
    deadLetter: async (r) => void (settled.push(`dead:${r.code}`), reasons.push(r)),
  };
}
const observer = silentObserver;
const state = () => new VimState('v1', { dedupeWindow: 100 });

function setup(subs: Subscription[], opts: { kafka?: boolean; sideSteps?: SideStep[] } = {}) {
  const dmaap = new ScriptedDestination(undefined, 'dmaap');
  const kafka = new ScriptedDestination(undefined, 'kafka');
  const pipeline = new Pipeline({
    destinations: opts.kafka === false ? { dmaap } : { dmaap, kafka },
    defaultSink: 'dmaap',
    subscriptions: () => subs,
    observer,
    logger: silentLogger(),
    maxBodyBytes: 1 << 20,
    sideSteps: opts.sideSteps,
  });
  return { dmaap, kafka, pipeline };
}

const sub = (id: string, topic: string, sink?: 'dmaap' | 'kafka'): Subscription => ({
  id,
  vimId: 'v1',
  states: ['POWER_OFF'],
  topic,
  ...(sink ? { sink } : {}),
});

describe('routing by sink', () => {
  it('sends each message to its subscription sink; Kafka records carry the VM key and the headers', async () => {
    const { dmaap, kafka, pipeline } = setup([sub('a', 'MR_TOPIC'), sub('b', 'kafka.topic', 'kafka')]);
    const d = delivery('mid-7');
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['ack']);
    expect(dmaap.calls.map((r) => r.topic)).toEqual(['MR_TOPIC']);
    expect(kafka.calls).toHaveLength(1);
    const [rec] = kafka.calls;
    const msg = JSON.parse(rec.json);
    expect(rec.json).toBe(dmaap.calls[0].json); // byte for byte what DMaaP gets
    expect(rec.key).toBe(msg.instance_id);
    expect(rec.headers).toEqual({
      message_id: 'mid-7',
      vim_id: 'v1',
      event: 'POWER_OFF',
      'content-type': 'application/json',
    });
  });

  it('acks only when both destinations accepted', async () => {
    const { dmaap, kafka, pipeline } = setup([sub('a', 'MR'), sub('b', 'K', 'kafka')]);
    let releaseKafka!: () => void;
    kafka.answer = () => new Promise((r) => (releaseKafka = r));
    const d = delivery();
    const done = pipeline.accept(state(), d);
    await new Promise((r) => setTimeout(r, 20));
    expect(dmaap.calls).toHaveLength(1);
    expect(d.settled).toEqual([]);
    releaseKafka();
    await done;
    expect(d.settled).toEqual(['ack']);
  });

  it('dead-letters with the refusing destination named when one refuses for good, though the other accepted', async () => {
    const { kafka, pipeline } = setup([sub('a', 'MR'), sub('b', 'K', 'kafka')]);
    kafka.answer = (t) =>
      Promise.reject(new RelayError('KAFKA_REJECTED', `Kafka topic ${t}: TOPIC_AUTHORIZATION_FAILED`));
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['dead:KAFKA_REJECTED']);
    expect(d.reasons[0].message).toContain('Kafka topic K');
  });

  it('dead-letters SINK_NOT_CONFIGURED when a subscription names a sink the config does not set up', async () => {
    const { dmaap, pipeline } = setup([sub('a', 'MR'), sub('b', 'K', 'kafka')], { kafka: false });
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['dead:SINK_NOT_CONFIGURED']);
    expect(d.reasons[0].message).toMatch(/subscription b routes topic K to kafka, which is not configured/);
    expect(dmaap.calls).toHaveLength(1);
  });

  it('settles by the first failure in record order, not by whichever was recorded last', async () => {
    // The unconfigured sink comes first; a later record's transient refusal must not replace it.
    const { dmaap, pipeline } = setup([sub('a', 'K', 'kafka'), sub('b', 'MR')], { kafka: false });
    dmaap.answer = () => Promise.reject(new RelayError('PUBLISHER_CLOSED', 'scripted'));
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['dead:SINK_NOT_CONFIGURED']);
    expect(dmaap.calls).toHaveLength(1);
  });
});

describe('settling by disposition', () => {
  it.each([
    ['PUBLISHER_CLOSED', 'requeue'],
    ['DMAAP_RETRY_EXPIRED', 'dead:DMAAP_RETRY_EXPIRED'],
    ['VES_REJECTED', 'dead:VES_REJECTED'],
  ] as const)('%s -> %s', async (code, expected) => {
    const { dmaap, pipeline } = setup([sub('a', 'MR')]);
    dmaap.answer = () => Promise.reject(new RelayError(code, 'scripted'));
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual([expected]);
  });

  it('PUBLISHER_OVERLOADED -> held and offered again, then acked: never requeued (a quorum queue would count each requeue)', async () => {
    const { dmaap, pipeline } = setup([sub('a', 'MR')]);
    let refusals = 3;
    dmaap.answer = () =>
      refusals-- > 0 ? Promise.reject(new RelayError('PUBLISHER_OVERLOADED', 'scripted')) : Promise.resolve();
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['ack']);
    expect(dmaap.calls).toHaveLength(4);
  });

  it('PUBLISHER_OVERLOADED, then the destination closes while the record is held -> requeue', async () => {
    const { dmaap, pipeline } = setup([sub('a', 'MR')]);
    let refusals = 2;
    dmaap.answer = () =>
      Promise.reject(new RelayError(refusals-- > 0 ? 'PUBLISHER_OVERLOADED' : 'PUBLISHER_CLOSED', 'scripted'));
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['requeue']);
  });

  it('requeues after an error outside the catalogue (a bug), and the next notification goes through', async () => {
    const { dmaap, pipeline } = setup([sub('a', 'MR')]);
    dmaap.answer = () => Promise.reject(new TypeError('boom'));
    const st = state();
    const d = delivery('x');
    await pipeline.accept(st, d);
    expect(d.settled).toEqual(['requeue']);
    dmaap.answer = () => Promise.resolve();
    const next = delivery('x');
    await pipeline.accept(st, next);
    expect(next.settled).toEqual(['ack']);
  });
});

describe('side steps (records no subscription asked for)', () => {
  const events: string[] = [];
  const ves = new ScriptedDestination(undefined, 'ves');
  const step: SideStep = {
    mayWant: () => true,
    prepare: async (vimId) => ({
      value: [{ destination: 'ves', record: { topic: vimId, json: '{"event":{}}' }, subscription: '' }],
      commit: async () => void events.push('commit'),
      release: () => void events.push('release'),
    }),
  };

  beforeEach(() => {
    events.length = 0;
    ves.calls.length = 0;
    ves.answer = () => Promise.resolve();
  });

  function withVes(subs: Subscription[]) {
    const dmaap = new ScriptedDestination();
    const pipeline = new Pipeline({
      destinations: { dmaap, ves },
      defaultSink: 'dmaap',
      subscriptions: () => subs,
      observer,
      logger: silentLogger(),
      maxBodyBytes: 1 << 20,
      sideSteps: [step],
    });
    return { dmaap, pipeline };
  }

  it('sends a step record although no subscription matched, commits after acceptance, releases always', async () => {
    const { pipeline } = withVes([]);
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['ack']);
    expect(ves.calls.map((r) => r.topic)).toEqual(['v1']);
    expect(events).toEqual(['commit', 'release']);
  });

  it('does not commit when the step destination is down at close: requeued, released', async () => {
    const { pipeline } = withVes([sub('a', 'MR')]);
    ves.answer = () => Promise.reject(new RelayError('PUBLISHER_CLOSED', 'closing'));
    const d = delivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['requeue']);
    expect(events).toEqual(['release']);
  });

  it('commits a step once its own record was accepted, whatever the others answer: DMaaP refuses, requeued', async () => {
    const { dmaap, pipeline } = withVes([sub('a', 'MR')]);
    let refuse!: () => void;
    dmaap.answer = () => new Promise((_, reject) => (refuse = () => reject(new RelayError('PUBLISHER_CLOSED', 'x'))));
    const d = delivery();
    const done = pipeline.accept(state(), d);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['commit']); // before DMaaP answered
    refuse();
    await done;
    expect(d.settled).toEqual(['requeue']);
    expect(events).toEqual(['commit', 'release']);
  });
});

describe('the compute-node step: committed once all of its records were accepted', () => {
  const events: string[] = [];
  const nodeSubs: Subscription[] = [
    { id: 'n1', vimId: 'v1', states: ['COMPUTE_NODE_UPDATE'], topic: 'N1' },
    { id: 'n2', vimId: 'v1', states: ['COMPUTE_NODE_UPDATE'], topic: 'N2' },
  ];
  const nodeStep: ComputeNodeStep = {
    prepare: async (_vimId, _n, matches) => ({
      value: new Map(matches.map((m) => [m, { json: '{"node":{}}', key: 'node' }])),
      commit: async () => void events.push('commit'),
      release: () => void events.push('release'),
    }),
  };
  /** A compute-node update whose ack is also an event, to see what came before it. */
  const nodeDelivery = () => {
    const d = delivery('u-1', Buffer.from(JSON.stringify(toWireV2(versionedMetrics(), { messageId: 'u-1' }))));
    return { ...d, ack: () => void (d.ack(), events.push('ack')) };
  };

  function withNodes() {
    events.length = 0;
    const dmaap = new ScriptedDestination();
    const pipeline = new Pipeline({
      destinations: { dmaap },
      defaultSink: 'dmaap',
      subscriptions: () => nodeSubs,
      observer,
      logger: silentLogger(),
      maxBodyBytes: 1 << 20,
      computeNode: nodeStep,
    });
    return { dmaap, pipeline };
  }

  it('one of its two records refused: not committed, released, requeued', async () => {
    const { dmaap, pipeline } = withNodes();
    dmaap.answer = (topic) =>
      topic === 'N2' ? Promise.reject(new RelayError('PUBLISHER_CLOSED', 'closing')) : Promise.resolve();
    const d = nodeDelivery();
    await pipeline.accept(state(), d);
    expect(dmaap.calls.map((r) => r.topic)).toEqual(['N1', 'N2']);
    expect(d.settled).toEqual(['requeue']);
    expect(events).toEqual(['release']);
  });

  it('both accepted: committed before the ack, then released', async () => {
    const { pipeline } = withNodes();
    const d = nodeDelivery();
    await pipeline.accept(state(), d);
    expect(d.settled).toEqual(['ack']);
    expect(events).toEqual(['commit', 'ack', 'release']);
  });
});
