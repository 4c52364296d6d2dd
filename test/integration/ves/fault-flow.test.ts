/**
 * The VES parts wired as the pipeline wires them (decide -> send -> published / abandoned),
 * over a real store file and dmaap-dev as the collector on loopback: onset, a repeated fault,
 * clear, another tenant, a restart in the middle, the collector down for a while, DELETE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';
import type { Notification } from '../../../src/notifications/types.js';
import { loadConfig } from '../../../src/config/load.js';
import { StateFile } from '../../../src/store/state-file.js';
import { createLogger } from '../../../src/util/logger.js';
import { createVesAgent, type VesAgent } from '../../../src/ves/index.js';
import { AT, legacy, versioned, wirePowerOff } from '../../unit/ves/support.js';
import { freePort } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';
import { relayVes } from '../../helpers/ves-deliver.js';

const VIM = 'vio-1';
const FAULTS = 'unauthenticated.SEC_FAULT_OUTPUT';
const logger = createLogger({ level: 'error', format: 'json' });
const later = (s: number) => new Date(AT.getTime() + s * 1000);

let dir: string;
let port: number;
let dev: DmaapDevServer | undefined;

interface Relay {
  store: StateFile;
  ves: VesAgent;
}

/** As the daemon builds it: the ves.* config (defaults, retries shortened for the test), its store. */
async function startRelay(): Promise<Relay> {
  const { store } = await StateFile.open(join(dir, 'state.json'), {
    vims: [{ id: VIM, transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/' }],
    subscriptions: [],
  });
  const config = loadConfig(undefined, {
    VIM_EVENT_RELAY_VES_RETRY_INITIAL_MS: '20',
    VIM_EVENT_RELAY_VES_RETRY_MAX_MS: '100',
    VIM_EVENT_RELAY_VES_VIM_UNREACHABLE_AFTER_MS: '100',
  }).ves;
  return { store, ves: createVesAgent({ store, config, logger }) };
}

const relay = (r: Relay, n: Notification) => relayVes(r.ves, VIM, n);

const names = () =>
  (dev?.messages(FAULTS) ?? []).map(
    (m) =>
      JSON.parse(m).event.commonEventHeader as { eventName: string; startEpochMicrosec: number; sourceName: string },
  );

beforeAll(async () => {
  port = await freePort();
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ves-flow-'));
  dev = createDmaapDevServer({ port });
  await dev.listen();
});
afterEach(async () => {
  await dev?.close();
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = (tenant = '*') => ({
  ves_subscription: { endpoint: `http://127.0.0.1:${port}/eventListener/v7` },
  backlogs: [{ domain: 'fault' as const, type: 'vm' as const, tenant }],
});

it('onset, no second onset, clear; another tenant ignored; a restart in the middle changes nothing', async () => {
  let r = await startRelay();
  await r.ves.agents.put(VIM, CONFIG('6f70656e737461636b20342065766572'));
  expect(await relay(r, versioned('instance-power_off-end.json', 'off-1'))).toBe('sent');
  expect(await relay(r, versioned('instance-pause-end.json', 'pause-1', later(5)))).toBe('nothing');
  // The legacy capture's VM is of tenant 7432d...: not in the backlog.
  expect(await relay(r, wirePowerOff())).toBe('nothing');
  await r.ves.close(1000);

  r = await startRelay();
  expect(await relay(r, versioned('instance-power_off-end.json', 'off-1'))).toBe('nothing');
  expect(await relay(r, versioned('instance-power_on-end.json', 'on-1', later(60)))).toBe('sent');
  await r.ves.close(1000);
  const events = names();
  expect(events.map((e) => e.eventName)).toEqual(['Fault_MultiCloud_VMFailure', 'Fault_MultiCloud_VMFailureCleared']);
  expect(events[1].startEpochMicrosec).toBe(events[0].startEpochMicrosec);
  expect(r.store.get().alarms).toEqual({});
});

it('the collector down for a while: the clear waits and is retried, nothing is lost or doubled', async () => {
  const r = await startRelay();
  await r.ves.agents.put(VIM, CONFIG());
  await relay(r, legacy('watcher/scenario3_legacy_instance-update.json', {}, 'paused-1'));
  await dev!.close();
  dev = undefined;
  const back = relay(
    r,
    legacy('watcher/scenario3_legacy_instance-update.json', { state: 'active' }, 'active-2', later(31)),
  );
  await waitFor(() => !r.ves.destination.health().ok, 'the destination reports the outage');
  expect(Object.keys(r.store.get().alarms[VIM] ?? {})).toHaveLength(1);
  dev = createDmaapDevServer({ port });
  await dev.listen();
  expect(await back).toBe('sent');
  // The onset went to the collector before it went down; the new one holds the clear alone.
  expect(names().map((e) => e.eventName)).toEqual(['Fault_MultiCloud_VMFailureCleared']);
  expect(r.store.get().alarms).toEqual({});
  await r.ves.close(1000);
});

it('DELETE of the configuration: events stop, alarms go', async () => {
  const r = await startRelay();
  await r.ves.agents.put(VIM, CONFIG());
  await relay(r, versioned('instance-power_off-end.json', 'off-1'));
  expect(await r.ves.agents.delete(VIM)).toBe(true);
  expect(r.store.get().alarms).toEqual({});
  expect(await relay(r, versioned('instance-power_on-end.json', 'on-1', later(60)))).toBe('nothing');
  expect(await relay(r, legacy('searchlight/servers__instance-update-error-final.json'))).toBe('nothing');
  expect(names().map((e) => e.eventName)).toEqual(['Fault_MultiCloud_VMFailure']);
  await r.ves.close(1000);
});

it('the VIM unreachable past ves.vimUnreachableAfterMs: onset through the collector, kept in the store, cleared once reachable', async () => {
  const r = await startRelay();
  await r.ves.agents.put(VIM, CONFIG());
  const since = new Date();
  r.ves.vimWatch.statusChanged(VIM, { status: 'UNREACHABLE', since, reason: 'ECONNREFUSED 127.0.0.1:5672' });
  await waitFor(() => r.store.get().alarms[VIM], 'the VIM alarm in the store');
  r.ves.vimWatch.statusChanged(VIM, { status: 'REACHABLE', since: new Date() });
  await waitFor(() => r.store.get().alarms[VIM] === undefined, 'the VIM alarm cleared');
  const events = names();
  expect(events.map((e) => [e.eventName, e.sourceName, e.startEpochMicrosec])).toEqual([
    ['Fault_MultiCloud_VIMUnreachable', VIM, since.getTime() * 1000],
    ['Fault_MultiCloud_VIMUnreachableCleared', VIM, since.getTime() * 1000],
  ]);
  await r.ves.close(1000);
});
