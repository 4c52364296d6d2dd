import { diffRows, fromRows, toRows } from '../../../src/store/rows.js';
import { checkState, seedState, STORE_VERSION, type StoreState } from '../../../src/store/state.js';
import { canonical } from '../../../src/util/json.js';
import type { AlarmRecord, VesAgentRecord } from '../../../src/model/ves.js';

const agent: VesAgentRecord = {
  ves_subscription: { endpoint: 'http://127.0.0.1:8443/eventListener/v7' },
  poll_interval_default: 10,
  backlogs: [{ backlog_uuid: '3f0c1d9e-8c4b-4f5e-9a53-6f1d2a7b8c90', domain: 'fault', type: 'vm', tenant: '*' }],
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const alarm: AlarmRecord = {
  eventId: 'vio-1:i-1:1767225600000000:0',
  startEpochMicrosec: 1767225600000000,
  sequence: 0,
  state: 'stopped',
  eventType: 'compute.instance.power_off.end',
  messageId: 'm-1',
  sourceName: 'vm-1',
};

const state = (): StoreState => ({
  version: STORE_VERSION,
  vims: [
    { id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' },
    { id: 'vio-2', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/two' },
  ],
  subscriptions: [{ id: 's1', vimId: 'vio-1', states: ['DELETE'], topic: 'T' }],
  computeNodes: { 'vio-1': { 'node-a': { free_ram_mb: 1 }, 'node-b': { free_ram_mb: 2 } } },
  vesAgents: { 'vio-1': structuredClone(agent) },
  alarms: { 'vio-1': { 'i-1': structuredClone(alarm) } },
});

describe('rows', () => {
  it('one row per VIM, subscription, compute node, VES agent and alarm; back to the same state, list order kept', () => {
    expect(checkState(state())).toBeUndefined();
    const rows = toRows(state());
    expect([...rows.values()].map((r) => `${r.kind}/${r.k1}/${r.k2}`)).toEqual([
      'vims/vio-1/',
      'vims/vio-2/',
      'subscriptions/s1/',
      'computeNodes/vio-1/node-a',
      'computeNodes/vio-1/node-b',
      'vesAgents/vio-1/',
      'alarms/vio-1/i-1',
    ]);
    // Reversed input order: ord, not arrival, decides the list order.
    const back = fromRows([...rows.values()].reverse());
    expect(back).toEqual(state());
    expect(checkState(back)).toBeUndefined();
  });

  it('the diff holds only the rows that changed; a key reorder (jsonb) is no change', () => {
    const before = toRows(state());
    const s = state();
    s.computeNodes['vio-1']['node-a'] = { free_ram_mb: 5 };
    delete s.alarms['vio-1'];
    s.vims[0] = { transportUrl: s.vims[0].transportUrl, id: 'vio-1' };
    const d = diffRows(before, toRows(s));
    expect(d.upserts.map((r) => r.k2)).toEqual(['node-a']);
    expect(d.deletes.map((r) => `${r.kind}/${r.k2}`)).toEqual(['alarms/i-1']);
  });

  it('moving a VIM in the list rewrites the rows whose position changed', () => {
    const s = state();
    s.vims.reverse();
    expect(diffRows(toRows(state()), toRows(s)).upserts.map((r) => r.k1)).toEqual(['vio-2', 'vio-1']);
  });

  it('canonical JSON sorts keys at every depth and drops undefined', () => {
    expect(canonical({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('seeds as the file store does (states upper-case, empty VES parts), a state the file schema accepts', () => {
    const s = seedState({
      vims: [{ id: 'v', transportUrl: 'rabbit://h/' }],
      subscriptions: [{ id: 's', vimId: 'v', states: [' power_off'], topic: 'T' }],
    });
    expect(s.subscriptions[0].states).toEqual(['POWER_OFF']);
    expect(s).toMatchObject({ version: STORE_VERSION, computeNodes: {}, vesAgents: {}, alarms: {} });
    expect(checkState(s)).toBeUndefined();
    expect(checkState({ ...s, vims: [...s.vims, ...s.vims] })).toMatch(/appears twice/);
  });

  it('rows read back into a state that checkState judges: a malformed alarm row is named', () => {
    const rows = toRows(state());
    const id = [...rows.keys()].find((k) => k.startsWith('alarms'))!;
    const { startEpochMicrosec: _gone, ...broken } = alarm;
    rows.set(id, { ...rows.get(id)!, value: broken });
    expect(checkState(fromRows(rows.values()))).toMatch(/state\.alarms\.vio-1\.i-1\.startEpochMicrosec is required/);
  });
});
