/**
 * ComputeNodeTracker inside the real Pipeline (scripted publisher, recording deliveries) and
 * over the real StateFile: the memory follows only what DMaaP accepted, survives a restart,
 * and decisions of one VIM are taken one at a time.
 */
import { PassThrough } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputeNodeTracker, InMemoryNodeMemory, type NodeMemoryStore } from '../../../src/steps/compute-nodes.js';
import { Pipeline } from '../../../src/daemon/pipeline.js';
import { VimState } from '../../../src/daemon/vim-state.js';
import type { PreparedStep, RenderedMatches } from '../../../src/steps/render.js';
import { matchSubscriptions } from '../../../src/filter/match.js';
import type { Subscription } from '../../../src/model/subscription.js';
import { parseNotification } from '../../../src/notifications/parse.js';
import type { Notification } from '../../../src/notifications/types.js';
import { PermanentPublishError } from '../../../src/publish/types.js';
import { DestinationClosedError } from '../../../src/publish/destination.js';
import type { OutboundRecord } from '../../../src/publish/destination.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';
import { StateFile } from '../../../src/store/state-file.js';
import type { Delivery } from '../../../src/transport/types.js';
import { createLogger, silentLogger } from '../../../src/util/logger.js';
import { serviceSample, SPEC_NODE, specSample, versionedMetrics } from '../../helpers/compute-node.js';
import { expandVersioned, toWireV2, type Sample } from '../../helpers/fixtures.js';
import { silentObserver } from '../../helpers/silent-observer.js';

const VIM = 'v1';
const SUBS: Subscription[] = [
  {
    id: 'nodes',
    vimId: VIM,
    states: ['COMPUTE_NODE_CREATE', 'COMPUTE_NODE_UPDATE', 'COMPUTE_NODE_DELETE'],
    topic: 'NODES',
  },
  { id: 'all', vimId: VIM, states: ['*'], topic: 'ALL' },
  { id: 'other', vimId: 'v2', states: ['*'], topic: 'OTHER' },
];

type Settled = 'ack' | 'requeue' | `dead:${string}`;
const bodyOf = (s: Sample, id: string): Buffer => Buffer.from(JSON.stringify(toWireV2(s, { messageId: id })));

function delivery(s: Sample, id: string, vimId = VIM): Delivery & { settled: Settled[] } {
  const settled: Settled[] = [];
  return {
    vimId,
    body: bodyOf(s, id),
    source: 'versioned_notifications.info',
    redelivered: false,
    settled,
    ack: () => void settled.push('ack'),
    requeue: () => void settled.push('requeue'),
    deadLetter: async (reason) => void settled.push(`dead:${reason.code}`),
  };
}

/** Records each message parsed, beside the record it came in. */
class ScriptedPublisher extends ScriptedDestination {
  get messages(): { topic: string; message: Record<string, unknown> }[] {
    return this.calls.map((r: OutboundRecord) => ({
      topic: r.topic,
      message: JSON.parse(r.json) as Record<string, unknown>,
    }));
  }
}
const ok = (_topic: string): Promise<void> => Promise.resolve();

const observer = silentObserver;
const vimState = (vimId = VIM): VimState => new VimState(vimId, { dedupeWindow: 100 });

function setup(memory: NodeMemoryStore = new InMemoryNodeMemory(), logger = silentLogger()) {
  const tracker = new ComputeNodeTracker(memory, logger);
  const pub = new ScriptedPublisher();
  const pipeline = new Pipeline({
    destinations: { dmaap: pub },
    defaultSink: 'dmaap',
    subscriptions: () => SUBS,
    observer,
    logger: silentLogger(),
    maxBodyBytes: 1 << 20,
    computeNode: tracker,
  });
  const st = vimState();
  const send = async (s: Sample, id: string) => {
    const d = delivery(s, id);
    await pipeline.accept(st, d);
    return d.settled;
  };
  return { tracker, pub, pipeline, st, send, memory };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('ComputeNodeTracker in the pipeline', () => {
  it('publishes the changed, suppresses and acks the unchanged, and remembers only after DMaaP accepted', async () => {
    const { pub, send, memory } = setup();
    expect(await send(serviceSample('service-create.json', 'compute'), 'c')).toEqual(['ack']);
    expect(await send(versionedMetrics(), 'u1')).toEqual(['ack']);
    expect(await send(versionedMetrics(), 'u2')).toEqual(['ack']); // unchanged: nothing sent, still acked
    expect(pub.messages.map((c) => [c.topic, c.message.event, c.message.message_id])).toEqual([
      ['NODES', 'COMPUTE_NODE_CREATE', 'c'],
      ['ALL', 'COMPUTE_NODE_CREATE', 'c'],
      ['NODES', 'COMPUTE_NODE_UPDATE', 'u1'],
      ['ALL', 'COMPUTE_NODE_UPDATE', 'u1'],
    ]);
    expect(memory.get().computeNodes).toEqual({
      [VIM]: { 'fake-mini': expect.objectContaining({ host: 'compute', hypervisor_hostname: 'fake-mini' }) },
    });
  });

  it('does not remember an update DMaaP did not take: its redelivery is published, not suppressed', async () => {
    const { pub, send, memory } = setup();
    pub.answer = () => Promise.reject(new DestinationClosedError('a destination'));
    expect(await send(versionedMetrics(), 'u1')).toEqual(['requeue']);
    expect(memory.get().computeNodes).toEqual({});
    pub.answer = ok;
    expect(await send(versionedMetrics(), 'u1')).toEqual(['ack']);
    expect(pub.messages.filter((c) => c.topic === 'NODES').map((c) => c.message.message_id)).toEqual(['u1', 'u1']);
    expect(await send(versionedMetrics(), 'u2')).toEqual(['ack']);
    expect(pub.calls).toHaveLength(4); // u2 suppressed once u1 was accepted
  });

  it('does not remember an update one of its topics refused, though the other took it: the redelivery publishes', async () => {
    const { pub, send, memory } = setup();
    pub.answer = (topic) => (topic === 'ALL' ? Promise.reject(new DestinationClosedError('a destination')) : ok(topic));
    expect(await send(versionedMetrics(), 'u1')).toEqual(['requeue']);
    expect(memory.get().computeNodes).toEqual({});
    pub.answer = ok;
    expect(await send(versionedMetrics(), 'u1')).toEqual(['ack']);
    expect(pub.messages.map((c) => [c.topic, c.message.message_id])).toEqual([
      ['NODES', 'u1'],
      ['ALL', 'u1'],
      ['NODES', 'u1'],
      ['ALL', 'u1'],
    ]);
    expect(memory.get().computeNodes[VIM]).toBeDefined();
  });

  it('does not remember a dead-lettered update either', async () => {
    const { pub, send, memory } = setup();
    pub.answer = (t) =>
      t === 'ALL' ? Promise.reject(new PermanentPublishError('DMAAP_REJECTED', 'HTTP 403', 403)) : ok(t);
    expect(await send(versionedMetrics(), 'u1')).toEqual(['dead:DMAAP_REJECTED']);
    expect(memory.get().computeNodes).toEqual({});
  });

  it('dead-letters a compute-node notification it cannot read, and goes on with the next', async () => {
    const { send } = setup();
    expect(
      await send(specSample('compute_node.update', { ...SPEC_NODE, vcpus: '8' as unknown as number }), 'bad'),
    ).toEqual(['dead:UNMAPPABLE']);
    expect(
      await send(specSample('compute_node.update', { hypervisor_hostname: null, host: null }), 'nameless'),
    ).toEqual(['dead:UNMAPPABLE']);
    expect(await send(versionedMetrics(), 'u1')).toEqual(['ack']);
  });

  it('decides one notification of a VIM at a time: a backlog of the same update is published once', async () => {
    const { pub, pipeline, st } = setup();
    const held: (() => void)[] = [];
    pub.answer = () => new Promise((r) => held.push(() => r()));
    const first = delivery(versionedMetrics(), 'u1');
    const second = delivery(versionedMetrics(), 'u2');
    const done = [pipeline.accept(st, first), pipeline.accept(st, second)];
    await tick();
    expect(pub.messages.map((c) => c.message.message_id)).toEqual(['u1', 'u1']);
    expect(second.settled).toEqual([]); // waiting for u1's outcome, not compared with the old memory
    pub.answer = ok;
    for (const release of held) release();
    await Promise.all(done);
    expect(first.settled).toEqual(['ack']);
    expect(second.settled).toEqual(['ack']);
    expect(pub.calls).toHaveLength(2);
  });

  it('lets instance notifications and other VIMs pass while a compute-node decision waits for DMaaP', async () => {
    const { pub, pipeline, st } = setup();
    pub.answer = (t) => (t === 'NODES' ? new Promise(() => undefined) : ok(t));
    void pipeline.accept(st, delivery(versionedMetrics(), 'held'));
    await tick();
    const instance = delivery(expandVersioned('instance-power_off-end.json'), 'i1');
    await pipeline.accept(st, instance);
    expect(instance.settled).toEqual(['ack']);
    const otherVim = delivery(versionedMetrics(), 'o1', 'v2');
    await pipeline.accept(vimState('v2'), otherVim);
    expect(otherVim.settled).toEqual(['ack']);
  });
});

describe('ComputeNodeTracker over the StateFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compute-nodes-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = async () => (await StateFile.open(join(dir, 'state.json'), { vims: [], subscriptions: [] })).store;

  it('survives a restart: an unchanged node is not published again, a changed one is, a delete forgets it', async () => {
    const before = setup(await open());
    await before.send(specSample('compute_node.create', SPEC_NODE), 'c');
    await before.send(specSample('compute_node.update', { ...SPEC_NODE, running_vms: 3 }), 'u1');
    expect(before.pub.calls.filter((c) => c.topic === 'NODES')).toHaveLength(2);

    const after = setup(await open()); // a new process: memory only from the file
    expect(
      await after.send(specSample('compute_node.update', { ...SPEC_NODE, running_vms: 3, free_ram_mb: 1 }), 'u2'),
    ).toEqual(['ack']);
    expect(after.pub.calls).toHaveLength(0);
    await after.send(specSample('compute_node.update', { ...SPEC_NODE, running_vms: 4 }), 'u3');
    expect(after.pub.messages.map((c) => [c.topic, c.message.running_vms, c.message.free_ram_mb])).toEqual([
      ['NODES', 4, SPEC_NODE.free_ram_mb],
      ['ALL', 4, SPEC_NODE.free_ram_mb],
    ]);
    await after.send(specSample('compute_node.delete', { id: SPEC_NODE.id, uuid: SPEC_NODE.uuid }), 'd');
    expect(after.pub.messages.at(-1)!.message).toMatchObject({
      event: 'COMPUTE_NODE_DELETE',
      hypervisor_hostname: 'fake-mini',
      running_vms: 4,
    });
    expect((await open()).get().computeNodes).toEqual({});
  });

  it('acks a published update whose memory could not be written, says so, and goes on', async () => {
    const failing: NodeMemoryStore = {
      get: () => ({ computeNodes: {} }),
      update: () => Promise.reject(new Error('ENOSPC: no space left on device')),
    };
    const stream = new PassThrough();
    let log = '';
    stream.on('data', (b: Buffer) => (log += b.toString()));
    const { send, pub } = setup(failing, createLogger({ level: 'warn', format: 'json', stream }));
    expect(await send(versionedMetrics(), 'u1')).toEqual(['ack']);
    expect(await send(versionedMetrics(), 'u2')).toEqual(['ack']); // not remembered: published again
    expect(pub.calls.filter((c) => c.topic === 'NODES')).toHaveLength(2);
    expect(log).toContain('compute-node memory not saved');
    expect(log).toContain('ENOSPC');
  });
});

describe('ComputeNodeTracker outcomes', () => {
  const note = (s: Sample, id: string): Notification => {
    const r = parseNotification(bodyOf(s, id));
    if (!r.ok) throw r.error;
    return r.notification;
  };
  const prepare = (t: ComputeNodeTracker, n: Notification): Promise<PreparedStep<RenderedMatches>> =>
    t.prepare(VIM, n, matchSubscriptions(VIM, n, SUBS));

  it('takes one decision of a VIM at a time: the next waits until the previous is released, committed or not', async () => {
    const t = new ComputeNodeTracker(new InMemoryNodeMemory(), silentLogger());
    const a = await prepare(t, note(versionedMetrics(), 'a'));
    let second = false;
    const b = prepare(t, note(versionedMetrics(), 'b')).then((step) => {
      second = true;
      return step;
    });
    await tick();
    expect(second).toBe(false);
    a.release();
    a.release(); // idempotent
    (await b).release();
    expect(second).toBe(true);
  });

  it('renders the same message for every match, or null for all, and remembers only on commit', async () => {
    const memory = new InMemoryNodeMemory({
      [VIM]: { 'fake-mini': { host: 'compute', host_ip: '10.0.2.15', hypervisor_hostname: 'fake-mini' } },
    });
    const t = new ComputeNodeTracker(memory, silentLogger());
    const suppressed = await prepare(t, note(versionedMetrics(), 's'));
    expect([...suppressed.value.values()]).toEqual([null, null]);
    suppressed.release();
    const changed = await prepare(t, note(versionedMetrics({ nodename: 'other' }), 'c'));
    const [a, b] = [...changed.value.values()];
    expect(a).toBe(b);
    expect(JSON.parse(a!.json)).toMatchObject({ event: 'COMPUTE_NODE_UPDATE', hypervisor_hostname: 'other' });
    expect(a!.key).toBe(JSON.parse(a!.json).uuid ?? JSON.parse(a!.json).host);
    expect(Object.keys(memory.get().computeNodes[VIM])).toEqual(['fake-mini']);
    await changed.commit();
    changed.release();
    expect(Object.keys(memory.get().computeNodes[VIM])).toContain('other');
  });
});
