/** decide -> commit (accepted) / release (not): alarm memory follows only what the collector accepted. */
import { VesAlarmTracker } from '../../../src/ves/alarm-tracker.js';
import { InMemoryVesStore } from '../../helpers/ves-memory-store.js';
import { createLogger } from '../../../src/util/logger.js';
import type { VesFaultEvent } from '../../../src/ves/events.js';
import { vesEventErrors } from '../../../src/ves/schema.js';
import { AT, AT_MICROS, agent, backlog, versioned, wirePowerOff } from './support.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/wait.js';
import { deliverVes } from '../../helpers/ves-deliver.js';

const VIM = 'vio-1';
const UUID = '178b0921-8f85-4257-88b6-2e743b5a975c';
const logger = createLogger({ level: 'error', format: 'json' });
const later = (s: number) => new Date(AT.getTime() + s * 1000);
const off = (id = 'off-1', at = AT) => versioned('instance-power_off-end.json', id, at);
const on = (id = 'on-1', at = later(60)) => versioned('instance-power_on-end.json', id, at);

function setup(backlogs = [backlog()]) {
  const store = new InMemoryVesStore({ vims: [{ id: VIM }], vesAgents: { [VIM]: agent(backlogs) } });
  const tracker = new VesAlarmTracker(store, logger);
  return { store, tracker };
}

/** What decide() gives, without waiting for the VM's turn: rejects when a decision left it held. */
const unheld = <T>(decided: Promise<T>): Promise<T> =>
  Promise.race([
    decided,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the VM's turn is still held")), 1000).unref()),
  ]);

const parse = (json: string | undefined): VesFaultEvent => {
  if (!json) throw new Error('no record');
  const e = JSON.parse(json) as VesFaultEvent;
  expect(vesEventErrors(e)).toBeUndefined();
  return e;
};

it('onset, then the alarm is remembered only once published; the clear carries its startEpochMicrosec', async () => {
  const { store, tracker } = setup();
  const rec = await tracker.decide(VIM, off());
  expect(rec?.value).toMatchObject({ topic: VIM, key: UUID });
  expect(parse(rec?.value.json).commonEventHeader.eventName).toBe('Fault_MultiCloud_VMFailure');
  expect(store.get().alarms).toEqual({});
  await rec?.commit();
  expect(store.get().alarms[VIM]?.[UUID]).toMatchObject({
    startEpochMicrosec: AT_MICROS,
    sequence: 0,
    state: 'stopped',
    messageId: 'off-1',
  });

  const clear = await tracker.decide(VIM, on());
  const h = parse(clear?.value.json).commonEventHeader;
  expect(h).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailureCleared',
    sequence: 1,
    startEpochMicrosec: AT_MICROS,
    lastEpochMicrosec: AT_MICROS + 60_000_000,
  });
  await clear?.commit();
  expect(store.get().alarms).toEqual({});
});

it('a repeated fault raises no second onset', async () => {
  const { tracker } = setup();
  await (await tracker.decide(VIM, off()))?.commit();
  expect(await tracker.decide(VIM, versioned('instance-pause-end.json', 'pause-1'))).toBeNull();
  expect(await tracker.decide(VIM, off('off-2', later(5)))).toBeNull();
});

it('an abandoned onset (collector refused, requeued) is not remembered: the redelivery raises it again', async () => {
  const { store, tracker } = setup();
  const first = await tracker.decide(VIM, off());
  first?.release();
  expect(store.get().alarms).toEqual({});
  const again = await tracker.decide(VIM, off());
  expect(again?.value.json).toBe(first?.value.json);
});

it('an abandoned clear (collector down) leaves the alarm open: the clear is not lost', async () => {
  const { store, tracker } = setup();
  await (await tracker.decide(VIM, off()))?.commit();
  const clear = await tracker.decide(VIM, on());
  clear?.release();
  expect(store.get().alarms[VIM]?.[UUID]).toBeDefined();
  expect((await tracker.decide(VIM, on()))?.value.json).toBe(clear?.value.json);
});

it('a restart (a new tracker over the same store) neither repeats the onset nor forgets the clear', async () => {
  const { store, tracker } = setup();
  await (await tracker.decide(VIM, off()))?.commit();
  const restarted = new VesAlarmTracker(store, logger);
  expect(await restarted.decide(VIM, off('off-redelivered'))).toBeNull();
  const clear = await restarted.decide(VIM, on());
  expect(parse(clear?.value.json).commonEventHeader.startEpochMicrosec).toBe(AT_MICROS);
});

it('two faults of one VM in flight together: the second waits for the first outcome, and raises nothing', async () => {
  const { tracker } = setup();
  const first = await tracker.decide(VIM, off());
  let secondDone = false;
  const second = tracker.decide(VIM, versioned('instance-pause-end.json', 'pause-1')).then((r) => {
    secondDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 20));
  expect(secondDone).toBe(false);
  // Another VM does not wait.
  expect(await tracker.decide(VIM, wirePowerOff())).not.toBeNull();
  expect(first).not.toBeNull();
  await first?.commit();
  expect(await second).toBeNull();
});

it('nothing for a VIM without a VES configuration, another tenant, or a non-instance notification', async () => {
  const { tracker } = setup([backlog({ tenant: 'another-tenant' })]);
  expect(await tracker.decide('vio-2', off())).toBeNull();
  expect(await tracker.decide(VIM, off())).toBeNull();
  expect(await tracker.decide(VIM, versioned('keypair-create-end.json'))).toBeNull();
  expect(await unheld(tracker.decide(VIM, off('off-2', later(5))))).toBeNull();
});

it('a configuration deleted before the onset was accepted: nothing is remembered', async () => {
  const { store, tracker } = setup();
  const step = await tracker.decide(VIM, off());
  await store.update((d) => {
    delete d.vesAgents[VIM];
  });
  await step?.commit();
  expect(store.get().alarms).toEqual({});
});

describe('a store write that fails after the collector accepted (a full disk)', () => {
  const failing = (store: InMemoryVesStore) => {
    const update = store.update.bind(store);
    store.update = () => Promise.reject(new Error('ENOSPC'));
    return () => void (store.update = update);
  };

  it('an onset: kept, not thrown; the VM is released, its clear is sent; the store gets it once it takes writes', async () => {
    const { store, tracker } = setup();
    const step = await tracker.decide(VIM, off());
    const restore = failing(store);
    await expect(step!.commit()).resolves.toBeUndefined();
    expect(tracker.unsavedCount()).toBe(1);
    // Still open: a second "stopped" raises nothing, "active" clears it.
    expect(await tracker.decide(VIM, off('off-2', later(5)))).toBeNull();
    restore();
    await waitFor(() => store.get().alarms[VIM]?.[UUID], 'the onset written by the retry');
    expect(tracker.unsavedCount()).toBe(0);
    const clear = await tracker.decide(VIM, on());
    expect(parse(clear?.value.json).commonEventHeader.eventName).toBe('Fault_MultiCloud_VMFailureCleared');
    await tracker.close();
  });

  it('a clear: kept; the next "stopped" raises a new onset, and the store forgets the alarm once it takes writes', async () => {
    const { store, tracker } = setup();
    await (await tracker.decide(VIM, off()))?.commit();
    const clear = await tracker.decide(VIM, on());
    const restore = failing(store);
    await clear?.commit();
    expect(store.get().alarms[VIM]?.[UUID]).toBeDefined();
    const onset = await tracker.decide(VIM, off('off-2', later(120)));
    expect(parse(onset?.value.json).commonEventHeader.eventName).toBe('Fault_MultiCloud_VMFailure');
    onset?.release();
    restore();
    await waitFor(() => store.get().alarms[VIM] === undefined, 'the clear written by the retry');
    await tracker.close();
  });

  it('still unsaved at close: tried once more, then logged as lost', async () => {
    const { logger: log, lines } = captureLog();
    const store = new InMemoryVesStore({ vims: [{ id: VIM }], vesAgents: { [VIM]: agent([backlog()]) } });
    const tracker = new VesAlarmTracker(store, log);
    const step = await tracker.decide(VIM, off());
    let tries = 0;
    store.update = () => Promise.reject(new Error(`ENOSPC ${++tries}`));
    await step?.commit();
    const before = tries;
    await tracker.close();
    expect(tries).toBe(before + 1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('VES alarm memory lost at shutdown'),
        alarms: [`${VIM}/${UUID}`],
      }),
    );
  });
});

describe('deliver', () => {
  it('commits on acceptance, releases and rethrows on refusal; a later release() is a no-op', async () => {
    const { store, tracker } = setup();
    const rec = await tracker.decide(VIM, off());
    await expect(deliverVes(rec!, () => Promise.reject(new Error('VES_REJECTED')))).rejects.toThrow('VES_REJECTED');
    expect(store.get().alarms).toEqual({});
    const again = await tracker.decide(VIM, off());
    const sent: string[] = [];
    await deliverVes(again!, async (r) => void sent.push(r.json));
    again!.release();
    expect(sent).toHaveLength(1);
    expect(store.get().alarms[VIM]?.[UUID]).toBeDefined();
    expect(await unheld(tracker.decide(VIM, off('off-2', later(5))))).toBeNull();
  });
});
