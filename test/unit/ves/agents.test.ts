/** VES agent configurations in the store: uuids per backlog, MultiCloud's answer, passwords never shown. */
import { VesAgentRegistry, agentView, toAgentRecord } from '../../../src/ves/agents.js';
import { InMemoryVesStore } from '../../helpers/ves-memory-store.js';
import type { VesAgentConfigInput } from '../../../src/model/ves.js';

const NOW = new Date('2026-11-22T00:00:00.000Z');
const input: VesAgentConfigInput = {
  ves_subscription: { endpoint: 'http://127.0.0.1:8443/eventListener/v7', username: 'ves', password: 's3cret' },
  poll_interval_default: 10,
  backlogs: [
    { domain: 'fault', type: 'vm', tenant: 't1', source: 'vm-a' },
    { domain: 'fault', type: 'vm' },
  ],
};

it('gives each backlog a uuid, and keeps it when the same selection is posted again', () => {
  const first = toAgentRecord(input, undefined, NOW);
  expect(first.backlogs.map((b) => b.backlog_uuid)).toEqual([
    expect.stringMatching(/^[0-9a-f-]{36}$/),
    expect.stringMatching(/^[0-9a-f-]{36}$/),
  ]);
  const again = toAgentRecord(
    { ...input, backlogs: [input.backlogs[1], { domain: 'fault', type: 'vm', tenant: 't2' }] },
    first,
    NOW,
  );
  expect(again.backlogs[0].backlog_uuid).toBe(first.backlogs[1].backlog_uuid);
  expect(first.backlogs.map((b) => b.backlog_uuid)).not.toContain(again.backlogs[1].backlog_uuid);
});

it('answers as MultiCloud does, password redacted in both halves', () => {
  const r = toAgentRecord(input, undefined, NOW);
  const view = agentView('vio-1', r);
  expect(view).toEqual({
    vesagent_config: {
      ves_subscription: { endpoint: input.ves_subscription.endpoint, username: 'ves', password: '***' },
      poll_interval_default: 10,
      backlogs: input.backlogs,
    },
    vesagent_backlogs: {
      vimid: 'vio-1',
      poll_interval_default: 10,
      subscription: { endpoint: input.ves_subscription.endpoint, username: 'ves', password: '***' },
      backlogs: r.backlogs,
    },
  });
  expect(JSON.stringify(view)).not.toContain('s3cret');
});

it('an empty username means no credentials at all', () => {
  const r = toAgentRecord(
    { ...input, ves_subscription: { endpoint: 'http://c/', username: '', password: 'x' } },
    undefined,
    NOW,
  );
  expect(r.ves_subscription).toEqual({ endpoint: 'http://c/' });
});

describe('VesAgentRegistry', () => {
  it('put needs a registered VIM; get, collectorFor and delete follow; delete drops the alarms too', async () => {
    const store = new InMemoryVesStore({ vims: [{ id: 'vio-1' }] });
    const reg = new VesAgentRegistry(store, () => NOW);
    await expect(reg.put('vio-9', input)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/VIM "vio-9" is not registered/),
    });
    const view = await reg.put('vio-1', input);
    expect(reg.get('vio-1')).toEqual(view);
    expect(reg.collectorFor('vio-1')).toEqual(input.ves_subscription);
    await store.update((d) => {
      d.alarms['vio-1'] = {
        i: {
          eventId: 'e',
          startEpochMicrosec: 1,
          sequence: 0,
          state: 's',
          eventType: 't',
          messageId: 'm',
          sourceName: 'n',
        },
      };
    });
    expect(await reg.delete('vio-1')).toBe(true);
    expect(store.get().alarms).toEqual({});
    expect(reg.get('vio-1')).toBeUndefined();
    expect(reg.collectorFor('vio-1')).toBeUndefined();
    expect(await reg.delete('vio-1')).toBe(false);
  });

  it('tells onPut of each configuration stored (the VIM watch re-judges the VIM), not of a refused one', async () => {
    const store = new InMemoryVesStore({ vims: [{ id: 'vio-1' }] });
    const heard: string[] = [];
    const reg = new VesAgentRegistry(
      store,
      () => NOW,
      (vimId) => heard.push(vimId),
    );
    await expect(reg.put('vio-9', input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await reg.put('vio-1', input);
    await reg.put('vio-1', input);
    expect(heard).toEqual(['vio-1', 'vio-1']);
  });
});
