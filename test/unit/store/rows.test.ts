import { canonical, checkAnyState, diffRows, fromRows, seedState, toRows, VES_IN_STATE } from '../../../src/store/rows.js';
import type { AnyState } from '../../../src/store/store.js';

const state = (): AnyState => ({
  version: 1,
  vims: [
    { id: 'vio-1', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' },
    { id: 'vio-2', transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/two' },
  ],
  subscriptions: [{ id: 's1', vimId: 'vio-1', states: ['DELETE'], topic: 'T' }],
  computeNodes: { 'vio-1': { 'node-a': { free_ram_mb: 1 }, 'node-b': { free_ram_mb: 2 } } },
  vesAgents: { 'vio-1': { url: 'http://127.0.0.1:8443' } },
  alarms: { 'vio-1': { 'i-1': { severity: 'MAJOR' } } },
});

describe('rows', () => {
  it('one row per VIM, subscription, compute node, VES agent and alarm; back to the same state, list order kept', () => {
    const rows = toRows(state());
    expect([...rows.values()].map((r) => `${r.kind}/${r.k1}/${r.k2}`)).toEqual([
      'vims/vio-1/', 'vims/vio-2/', 'subscriptions/s1/', 'computeNodes/vio-1/node-a', 'computeNodes/vio-1/node-b', 'vesAgents/vio-1/', 'alarms/vio-1/i-1',
    ]);
    // Reversed input order: ord, not arrival, decides the list order.
    expect(fromRows([...rows.values()].reverse())).toEqual(state());
  });

  it('the diff holds only the rows that changed; a key reorder (jsonb) is no change', () => {
    const before = toRows(state());
    const s = state();
    s.computeNodes['vio-1']!['node-a'] = { free_ram_mb: 5 };
    delete s.alarms!['vio-1'];
    s.vims[0] = { transportUrl: s.vims[0]!.transportUrl, id: 'vio-1' };
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
    expect(canonical({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('seeds as the file store does (states upper-case) and checks the VES parts', () => {
    const s = seedState({ vims: [{ id: 'v', transportUrl: 'rabbit://h/' }], subscriptions: [{ id: 's', vimId: 'v', states: [' power_off'], topic: 'T' }] });
    expect(s.subscriptions[0]!.states).toEqual(['POWER_OFF']);
    expect(checkAnyState(s)).toBeUndefined();
    if (!VES_IN_STATE) {
      expect(checkAnyState({ ...s, alarms: { v: { i: 'not an object' as unknown as Record<string, unknown> } } })).toMatch(/state\.alarms\.v\.i must be an object/);
    }
    expect(checkAnyState({ ...s, vims: [...s.vims, ...s.vims] })).toMatch(/appears twice/);
  });
});
