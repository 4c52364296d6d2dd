/** Fault_MultiCloud_VIMUnreachable: raised after ves.vimUnreachableAfterMs, cleared on REACHABLE, remembered only once accepted. */
import type { OutboundRecord } from '../../../src/publish/destination.js';
import { RelayError } from '../../../src/errors.js';
import { createLogger } from '../../../src/util/logger.js';
import { InMemoryVesStore } from '../../helpers/ves-memory-store.js';
import { vesEventErrors } from '../../../src/ves/schema.js';
import { VIM_ALARM_KEY } from '../../../src/model/ves.js';
import { VimUnreachableWatch } from '../../../src/ves/vim-watch.js';
import { waitFor, sleep } from '../../helpers/wait.js';
import { agent } from './support.js';

const VIM = 'vio-1';
const logger = createLogger({ level: 'error', format: 'json' });
const watches: VimUnreachableWatch[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.close()));
});

function setup(opts: { refuse?: boolean; configured?: boolean } = {}) {
  const store = new InMemoryVesStore({
    vims: [{ id: VIM }],
    vesAgents: opts.configured === false ? {} : { [VIM]: agent() },
  });
  const sent: OutboundRecord[] = [];
  let refuse = opts.refuse ?? false;
  const watch = new VimUnreachableWatch({
    store,
    unreachableAfterMs: 100,
    log: logger,
    send: async (r) => {
      if (refuse) throw new RelayError('VES_REJECTED', 'HTTP 400: no');
      sent.push(r);
    },
  });
  watches.push(watch);
  const names = () => sent.map((r) => JSON.parse(r.json).commonEventHeader.eventName as string);
  return { store, sent, watch, names, setRefuse: (v: boolean) => (refuse = v) };
}

const down = (since = new Date()) => ({ status: 'UNREACHABLE' as const, since, reason: 'ECONNREFUSED 127.0.0.1:5672' });
const up = () => ({ status: 'REACHABLE' as const, since: new Date() });

it('unreachable past the threshold raises the onset (source: the VIM), reachable again clears it', async () => {
  const { store, sent, watch, names } = setup();
  const since = new Date();
  watch.statusChanged(VIM, down(since));
  await waitFor(() => sent.length === 1, 'the onset');
  const onset = JSON.parse(sent[0].json);
  expect(vesEventErrors(onset)).toBeUndefined();
  expect(sent[0].topic).toBe(VIM);
  expect(onset.commonEventHeader).toMatchObject({
    eventName: 'Fault_MultiCloud_VIMUnreachable',
    sourceName: VIM,
    sourceId: VIM,
    startEpochMicrosec: since.getTime() * 1000,
  });
  await waitFor(() => store.get().alarms[VIM]?.[VIM_ALARM_KEY], 'the alarm remembered');
  watch.statusChanged(VIM, up());
  await waitFor(() => sent.length === 2, 'the clear');
  expect(names()).toEqual(['Fault_MultiCloud_VIMUnreachable', 'Fault_MultiCloud_VIMUnreachableCleared']);
  expect(JSON.parse(sent[1].json).commonEventHeader.startEpochMicrosec).toBe(since.getTime() * 1000);
  await waitFor(() => store.get().alarms[VIM] === undefined, 'the alarm forgotten');
});

it('a blip shorter than the threshold sends nothing', async () => {
  const { sent, watch } = setup();
  watch.statusChanged(VIM, down());
  await sleep(30);
  watch.statusChanged(VIM, up());
  await sleep(150);
  expect(sent).toEqual([]);
});

it('a VIM without a VES configuration is not watched', async () => {
  const { sent, watch } = setup({ configured: false });
  watch.statusChanged(VIM, down());
  await sleep(150);
  expect(sent).toEqual([]);
});

it('an onset the collector refused is not remembered, so no clear follows', async () => {
  const { store, sent, watch } = setup({ refuse: true });
  watch.statusChanged(VIM, down());
  await sleep(150);
  expect(store.get().alarms).toEqual({});
  watch.statusChanged(VIM, up());
  await sleep(30);
  expect(sent).toEqual([]);
});

it('after a restart with the alarm open: no second onset while down, the clear once reachable', async () => {
  const { store, sent, watch } = setup();
  watch.statusChanged(VIM, down(new Date(Date.now() - 1000)));
  await waitFor(() => store.get().alarms[VIM]?.[VIM_ALARM_KEY], 'the alarm remembered');
  const restarted = new VimUnreachableWatch({
    store,
    unreachableAfterMs: 100,
    log: logger,
    send: async (r) => void sent.push(r),
  });
  watches.push(restarted);
  restarted.statusChanged(VIM, down());
  await sleep(150);
  expect(sent).toHaveLength(1);
  restarted.statusChanged(VIM, up());
  await waitFor(() => sent.length === 2, 'the clear');
});

it('repeated UNREACHABLE changes (same since, a newer reason, as the 0-9-1 listener emits them) raise one onset on time', async () => {
  const { sent, watch } = setup();
  const since = new Date();
  watch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'ECONNREFUSED' });
  await sleep(40);
  watch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'ETIMEDOUT' });
  await sleep(40);
  watch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'EHOSTUNREACH' });
  await waitFor(() => sent.length === 1, 'the onset');
  expect(Date.now() - since.getTime()).toBeLessThan(400);
  expect(JSON.parse(sent[0].json).faultFields.alarmAdditionalInformation.reason).toBe('EHOSTUNREACH');
  watch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'ECONNRESET' });
  await sleep(150);
  expect(sent).toHaveLength(1);
});

it('a configuration added after the threshold passed (the listener reports UNREACHABLE once): configured() raises the onset', async () => {
  const { store, sent, watch, names } = setup({ configured: false });
  const since = new Date();
  watch.statusChanged(VIM, down(since));
  await sleep(150);
  expect(sent).toEqual([]);
  await store.update((d) => void (d.vesAgents[VIM] = agent()));
  watch.configured(VIM);
  await waitFor(() => sent.length === 1, 'the onset');
  expect(names()).toEqual(['Fault_MultiCloud_VIMUnreachable']);
  expect(JSON.parse(sent[0].json).commonEventHeader.startEpochMicrosec).toBe(since.getTime() * 1000);
  watch.configured(VIM); // replaced again, the alarm open: no second onset
  await sleep(150);
  expect(sent).toHaveLength(1);
});

it('configured() of a reachable VIM, or one still within the threshold, sends nothing early', async () => {
  const { sent, watch } = setup();
  watch.configured(VIM);
  watch.statusChanged(VIM, up());
  watch.configured(VIM);
  await sleep(150);
  expect(sent).toEqual([]);
  const since = new Date();
  watch.statusChanged(VIM, down(since));
  watch.configured(VIM);
  await waitFor(() => sent.length === 1, 'the onset');
  expect(Date.now() - since.getTime()).toBeGreaterThanOrEqual(95);
});
