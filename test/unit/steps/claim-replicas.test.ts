/**
 * Claim-then-publish without PostgreSQL: two "replicas" (each the real Pipeline with its own
 * ComputeNodeTracker and VesAlarmTracker, so its own turns) over one in-memory store marked
 * shared. The same flows run against two PgStores in test/integration/store/pg-claims.test.ts;
 * here the multi-row cases and a store whose writes fail are cheap to script. A store of one
 * process (not shared: the file store) claims nothing, as before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayError } from '../../../src/errors.js';
import { DestinationClosedError } from '../../../src/publish/destination.js';
import { InMemoryNodeMemory } from '../../../src/steps/compute-nodes.js';
import { claimOf } from '../../../src/store/claims.js';
import { FileStore } from '../../../src/store/file-store.js';
import { InMemoryVesStore } from '../../helpers/ves-memory-store.js';
import { CLAIM_VIM as VIM, claimReplica, instanceSample } from '../../helpers/claim-replica.js';
import { serviceSample, SPEC_NODE, specSample, type SpecNode } from '../../helpers/compute-node.js';
import { capturedLogger } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait.js';
import { agent, AT } from '../ves/support.js';

const update = (change: Partial<SpecNode> = {}) => specSample('compute_node.update', { ...SPEC_NODE, ...change });
const never = () => new Promise<void>(() => undefined);
/** What service.create leaves: the node under its host's name, only the host known. */
const placeholder = {
  ...Object.fromEntries(Object.keys(SPEC_NODE).map((k) => [k, null])),
  host: 'compute',
};

function sharedStores() {
  const nodes = new InMemoryNodeMemory({}, { shared: true });
  const ves = new InMemoryVesStore({ vims: [{ id: VIM }], vesAgents: { [VIM]: agent() } }, { shared: true });
  return { nodes, ves, stores: { nodes, ves } };
}

describe('compute nodes, two replicas on one shared store', () => {
  it('racing on the same update: exactly one publishes, round after round; the memory ends plain', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    for (let i = 0; i < 10; i++) {
      const settled = await Promise.all([
        a.deliver(update({ running_vms: i }), `a-${i}`),
        b.deliver(update({ running_vms: i }), `b-${i}`),
      ]);
      expect(settled).toEqual([['ack'], ['ack']]);
      expect(a.published().length + b.published().length).toBe(i + 1);
      const row = nodes.get().computeNodes[VIM]?.['fake-mini'];
      expect(row).toMatchObject({ running_vms: i });
      expect(claimOf(row)).toBeUndefined();
    }
  });

  it('while one publishes, the claim is in the row and the other suppresses the same update', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    let accept!: () => void;
    a.dmaap.answer = () => new Promise<void>((r) => (accept = r));
    const first = a.deliver(update(), 'u-a');
    await waitFor(() => a.dmaap.calls.length === 1, 'a to publish');
    expect(nodes.get().computeNodes[VIM]?.['fake-mini']).toEqual({
      ...SPEC_NODE,
      claim: { messageId: 'u-a', claimedAt: expect.any(String) },
    });
    expect(await b.deliver(update(), 'u-b')).toEqual(['ack']);
    expect(b.published()).toEqual([]);
    accept();
    expect(await first).toEqual(['ack']);
    expect(nodes.get().computeNodes[VIM]?.['fake-mini']).toEqual(SPEC_NODE);
  });

  it('a replica that claimed and died: the redelivery of that message_id on the other publishes it', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    await a.deliver(update({ running_vms: 1 }), 'u0');
    a.dmaap.answer = never; // claims, publishes, never hears back: dead
    void a.deliver(update({ running_vms: 5 }), 'u1');
    await waitFor(() => claimOf(nodes.get().computeNodes[VIM]?.['fake-mini'])?.messageId === 'u1', 'the claim of u1');
    // Another notification with the same content reads the claim as published (its redelivery will publish it).
    expect(await b.deliver(update({ running_vms: 5 }), 'u2')).toEqual(['ack']);
    expect(b.published()).toEqual([]);
    expect(await b.deliver(update({ running_vms: 5 }), 'u1')).toEqual(['ack']);
    expect(b.published()).toEqual([{ messageId: 'u1', event: 'COMPUTE_NODE_UPDATE' }]);
    expect(nodes.get().computeNodes[VIM]?.['fake-mini']).toEqual({ ...SPEC_NODE, running_vms: 5 });
  });

  it('a failed publish puts the rows back; the same update, later, publishes', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    await a.deliver(update(), 'u0');
    a.dmaap.answer = () => Promise.reject(new DestinationClosedError('a destination'));
    expect(await a.deliver(update({ running_vms: 7 }), 'u1')).toEqual(['requeue']);
    await waitFor(() => !claimOf(nodes.get().computeNodes[VIM]?.['fake-mini']), 'the rollback');
    expect(nodes.get().computeNodes[VIM]).toEqual({ 'fake-mini': SPEC_NODE });
    expect(await b.deliver(update({ running_vms: 7 }), 'u2')).toEqual(['ack']);
    expect(b.published()).toEqual([{ messageId: 'u2', event: 'COMPUTE_NODE_UPDATE' }]);
  });

  it('several rows (a placeholder adopted): one of two racing replicas publishes, and the placeholder is gone', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    await a.deliver(serviceSample('service-create.json', 'compute'), 'create');
    expect(Object.keys(nodes.get().computeNodes[VIM] ?? {})).toEqual(['compute']);
    await Promise.all([a.deliver(update(), 'u-a'), b.deliver(update(), 'u-b')]);
    expect([...a.published(), ...b.published()].filter((m) => m.event === 'COMPUTE_NODE_UPDATE')).toHaveLength(1);
    const { compute, ...rest } = nodes.get().computeNodes[VIM] ?? {};
    expect(rest).toEqual({ 'fake-mini': SPEC_NODE });
    // Depending on who won which row, the placeholder is gone, or (the first claimer lost the
    // node row and put the placeholder back after the other had decided as if it were gone) left
    // plain: never a claim, never a second publish (docs/replicas.md).
    if (compute !== undefined) expect(compute).toEqual(placeholder);
  });

  it('one replica alone adopting the placeholder claims both rows and leaves the node only', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    await a.deliver(serviceSample('service-create.json', 'compute'), 'create');
    let accept!: () => void;
    a.dmaap.answer = () => new Promise<void>((r) => (accept = r));
    const pending = a.deliver(update(), 'u-a');
    await waitFor(() => a.dmaap.calls.length === 2, 'the update published');
    expect(nodes.get().computeNodes[VIM]).toEqual({
      compute: { claim: { messageId: 'u-a', claimedAt: expect.any(String), previous: placeholder } },
      'fake-mini': { ...SPEC_NODE, claim: { messageId: 'u-a', claimedAt: expect.any(String) } },
    });
    accept();
    expect(await pending).toEqual(['ack']);
    expect(nodes.get().computeNodes[VIM]).toEqual({ 'fake-mini': SPEC_NODE });
  });

  it('a loss on the second row of a decision puts the first back and decides again against the winner', async () => {
    const { nodes, stores } = sharedStores();
    const a = claimReplica(stores);
    await a.deliver(serviceSample('service-create.json', 'compute'), 'create');
    // Another replica writes fake-mini just as this one has claimed the placeholder "compute".
    const cas = nodes.compareAndSet.bind(nodes);
    let raced = false;
    nodes.compareAndSet = async (kind, vimId, key, expected, value) => {
      if (key === 'fake-mini' && !raced) {
        raced = true;
        expect(claimOf(nodes.get().computeNodes[VIM]?.compute)?.messageId).toBe('u-a');
        await cas(kind, vimId, key, 0, { ...SPEC_NODE });
      }
      return cas(kind, vimId, key, expected, value);
    };
    expect(await a.deliver(update(), 'u-a')).toEqual(['ack']);
    // Decided again against the other replica's fake-mini: the same fields, nothing to publish; the placeholder stays as it was.
    expect(a.published().filter((m) => m.event === 'COMPUTE_NODE_UPDATE')).toEqual([]);
    expect(nodes.get().computeNodes[VIM]).toEqual({
      compute: expect.objectContaining({ host: 'compute', hypervisor_hostname: null }),
      'fake-mini': SPEC_NODE,
    });
  });

  it('the store refusing the claim (STORE_UNAVAILABLE): published unclaimed, acked, with a warning that a duplicate is possible', async () => {
    const { nodes, stores } = sharedStores();
    const log = capturedLogger();
    const a = claimReplica(stores, log.logger);
    nodes.compareAndSet = () =>
      Promise.reject(new RelayError('STORE_UNAVAILABLE', 'the PostgreSQL store cannot be reached'));
    expect(await a.deliver(update(), 'u1')).toEqual(['ack']);
    expect(a.published()).toEqual([{ messageId: 'u1', event: 'COMPUTE_NODE_UPDATE' }]);
    expect(log.lines()).toMatch(
      /compute-node decision not claimed: the store cannot take it now.*another replica may publish the same update/,
    );
    expect(log.lines()).toContain('compute-node memory not saved');
    expect(nodes.get().computeNodes).toEqual({});
  });
});

describe('VM alarms, two replicas on one shared store', () => {
  const off = () => instanceSample('instance-power_off-end.json');
  const on = () => instanceSample('instance-power_on-end.json');
  const UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';

  it('two "stopped" at once raise one onset; two "active" at once send one clear', async () => {
    const { ves, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    await Promise.all([a.deliver(off(), 'off-a'), b.deliver(off(), 'off-b')]);
    const events = () => [...a.vesEvents(), ...b.vesEvents()].map((e) => e.eventName);
    expect(events()).toEqual(['Fault_MultiCloud_VMFailure']);
    const row = ves.get().alarms[VIM]?.[UUID];
    expect(row).toMatchObject({ state: 'stopped', sequence: 0 });
    expect(claimOf(row as never)).toBeUndefined();
    await Promise.all([a.deliver(on(), 'on-a'), b.deliver(on(), 'on-b')]);
    expect(events()).toEqual(['Fault_MultiCloud_VMFailure', 'Fault_MultiCloud_VMFailureCleared']);
    expect(ves.get().alarms).toEqual({});
  });

  it('an onset claimed by a replica that died is sent again by the redelivery, same eventId', async () => {
    const { ves, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    a.ves.answer = never;
    // The same delivery, its timestamp included: the redelivery carries what the first one did.
    void a.deliver(off(), 'off-1', AT);
    await waitFor(() => claimOf(ves.get().alarms[VIM]?.[UUID] as never)?.messageId === 'off-1', 'the claim');
    expect(await b.deliver(off(), 'off-1', AT)).toEqual(['ack']);
    expect(b.vesEvents()).toEqual([{ messageId: 'off-1', eventName: 'Fault_MultiCloud_VMFailure' }]);
    expect(b.ves.calls[0].json).toBe(a.ves.calls[0].json);
    expect(claimOf(ves.get().alarms[VIM]?.[UUID] as never)).toBeUndefined();
  });

  it('a clear the collector did not take puts the alarm back; the next "active" sends the clear', async () => {
    const { ves, stores } = sharedStores();
    const a = claimReplica(stores);
    const b = claimReplica(stores);
    await a.deliver(off(), 'off-1');
    const open = ves.get().alarms[VIM]?.[UUID];
    a.ves.answer = () => Promise.reject(new DestinationClosedError('a destination'));
    expect(await a.deliver(on(), 'on-1')).toEqual(['requeue']);
    await waitFor(
      () => ves.get().alarms[VIM]?.[UUID] !== undefined && !claimOf(ves.get().alarms[VIM]?.[UUID] as never),
      'the alarm back',
    );
    expect(ves.get().alarms[VIM]?.[UUID]).toEqual(open);
    expect(await b.deliver(on(), 'on-2')).toEqual(['ack']);
    expect(b.vesEvents().map((e) => e.eventName)).toEqual(['Fault_MultiCloud_VMFailureCleared']);
  });
});

describe('a store of one process (the file store) claims nothing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'claims-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decides, publishes, then writes the plain memory, as before', async () => {
    const seed = { vims: [{ id: VIM, transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }], subscriptions: [] };
    const { store } = await FileStore.open(join(dir, 'state.json'), seed, 3);
    await store.update((s) => void (s.vesAgents[VIM] = agent()));
    const a = claimReplica({ nodes: store, ves: store });
    let accept!: () => void;
    a.dmaap.answer = () => new Promise<void>((r) => (accept = r));
    const pending = a.deliver(update(), 'u1');
    await waitFor(() => a.dmaap.calls.length === 1, 'the publish');
    expect(store.get().computeNodes).toEqual({});
    accept();
    await pending;
    expect(store.get().computeNodes).toEqual({ [VIM]: { 'fake-mini': SPEC_NODE } });
    expect(await a.deliver(off(), 'off-1')).toEqual(['ack']);
    expect(store.get().alarms[VIM]).toEqual({ [UUID]: expect.objectContaining({ messageId: 'off-1' }) });
    await store.close();
  });
  const off = () => instanceSample('instance-power_off-end.json');
  const UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';
});
