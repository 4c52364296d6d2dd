/**
 * The VES agent through the built daemon: a VIM on the local RabbitMQ with its own exchange,
 * real oslo-shaped nova bodies (the captured legacy power_off, nova's versioned samples), and
 * dmaap-dev as a separate process serving both Message Router and the VES collector, which
 * validates every event against the VES schema before it puts it on SEC_FAULT_OUTPUT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { expandVersioned, legacySample, loadJson, routingKeyFor, toWireV2, type Sample } from '../helpers/fixtures.js';
import { freePort, spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { checkVesBody } from '../../src/ves/schema.js';

jest.setTimeout(180000);

const FAULTS = 'unauthenticated.SEC_FAULT_OUTPUT';
const PASSWORD = 'ves-Pa55w0rd-7c1e';
const BASIC = Buffer.from(`ves-user:${PASSWORD}`).toString('base64');
const LEGACY_TENANT = '7432d1026706d7e805da846a32c3bb81';
const LEGACY_VM = '3eb13b90-4668-4257-bdd6-40fb06671ad1'; // vm-0000 of the captured wire body
const VERSIONED_TENANT = '6f70656e737461636b20342065766572';
const VERSIONED_VM = '178b0921-8f85-4257-88b6-2e743b5a975c'; // nova's sample instance "some-server"
const dir = tempDir('ver-ves-e2e-');
const vim = uniqueName('ves');
const exchange = uniqueName('nova-ves');
const queue = `vim-event-relay.${vim}`;
const deleteTopic = `T_${vim}_DELETE`;
let port: number;
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon;
let all = ''; // every answer and every log line of the run
let group = 0; // a fresh consumer group per dmaap-dev process: its offsets go with it

interface Header {
  eventName: string;
  eventId: string;
  sourceId: string;
  sourceName: string;
  reportingEntityName: string;
  startEpochMicrosec: number;
  lastEpochMicrosec: number;
}
interface Fault {
  header: Header;
  info: Record<string, string>;
}

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${daemon.adminUrl}${url}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  all += text;
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

async function start(): Promise<SpawnedDaemon> {
  const d = await spawnDaemon(
    {
      dmaap: { url: dmaap.url },
      publish: { retryInitialMs: 50, retryMaxMs: 500 },
      ves: { retryInitialMs: 50, retryMaxMs: 500 },
      log: { level: 'debug', format: 'json' },
      shutdown: { timeoutMs: 1500 },
      vims: [{ id: vim, transportUrl: rabbitUrl(), exchange }],
      // Only deletions are subscribed: every other VES event below comes from a notification no subscription matched.
      subscriptions: [{ id: `${vim}-delete`, vimId: vim, states: ['DELETE'], topic: deleteTopic }],
    },
    { dir },
  );
  await waitFor(
    async () =>
      ((await fetch(`${d.adminUrl}/api/v1/vims/${vim}`).then((r) => r.json())) as { status: string }).status ===
      'REACHABLE',
    'the VIM to be consumed',
    20000,
  );
  return d;
}

async function stop(): Promise<void> {
  expect(await stopDaemon(daemon)).toBe(0);
  all += daemon.output();
}

/** The captured legacy compute.instance.power_off.end of vm-0000, as a sample toWireV2 wraps afresh. */
function legacyPowerOff(): Sample {
  const wire = loadJson('oslo-wire/sample-wire-legacy-messagingv2.json') as { body: { 'oslo.message': string } };
  const { _unique_id: _u, message_id: _m, timestamp: _t, ...sample } = JSON.parse(wire.body['oslo.message']) as Sample;
  return sample;
}

const legacyPowerOn = (): Sample => {
  const s = legacyPowerOff();
  return {
    ...s,
    event_type: 'compute.instance.power_on.end',
    payload: { ...s.payload, state: 'active', state_description: '' },
  };
};

/** Publishes as nova does and returns the oslo timestamp in microseconds (what startEpochMicrosec must carry). */
async function publish(sample: Sample, messageId: string): Promise<number> {
  const at = new Date();
  await withChannel(
    async (ch) => void publishOslo(ch, exchange, routingKeyFor(sample), toWireV2(sample, { messageId, timestamp: at })),
  );
  return at.getTime() * 1000;
}

/** The next `n` fault events on SEC_FAULT_OUTPUT (dmaap-dev put them there only once valid); each checked against the schema again. */
async function faults(n: number, timeoutMs = 20000): Promise<Fault[]> {
  const got = await consume(dmaap.url, FAULTS, n, timeoutMs, `ves-e2e-${group}`);
  return got.map((m) => {
    const check = checkVesBody(m, 'event');
    if (!check.ok) throw new Error(`invalid VES event on ${FAULTS}: ${check.reason}`);
    const event = m.event as {
      commonEventHeader: Header;
      faultFields: { alarmAdditionalInformation: Record<string, string> };
    };
    return { header: event.commonEventHeader, info: event.faultFields.alarmAdditionalInformation };
  });
}

/** The notification was acked: nothing ready, nothing held. By then its VES event, if any, is at the collector. */
const settled = () =>
  waitFor(
    async () => {
      const c = await queueCounts(queue);
      return c?.ready === 0 && c.unacked === 0;
    },
    'the notification to be acked',
    20000,
    200,
  );

async function noEventFor(sample: Sample, messageId: string): Promise<void> {
  await publish(sample, messageId);
  await settled();
  expect(await faults(1, 1500)).toEqual([]);
}

const storedAlarms = () =>
  (
    JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {
      alarms?: Record<string, Record<string, unknown>>;
    }
  ).alarms?.[vim] ?? {};

const config = {
  vesagent_config: {
    ves_subscription: { endpoint: '', username: 'ves-user', password: PASSWORD },
    poll_interval_default: 10,
    backlogs: [
      { domain: 'fault', type: 'vm', tenant: LEGACY_TENANT, source: 'vm-0000' }, // by display name
      { domain: 'fault', type: 'vm', tenant: VERSIONED_TENANT, source: VERSIONED_VM }, // by instance id
    ],
  },
};

beforeAll(async () => {
  port = await freePort();
  dmaap = await startDmaapDevProcess(port);
  config.vesagent_config.ves_subscription.endpoint = `${dmaap.url}/eventListener/v7`;
  daemon = await start();
});

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await dmaap?.stop();
  await cleanup({ queues: [queue, `${queue}.dead`], exchanges: [exchange] });
});

test("POST a VES agent configuration: 201, MultiCloud's answer, the password redacted; GET under both prefixes", async () => {
  const created = await api('POST', `/api/multicloud-vio/v0/${vim}/vesagent`, config);
  expect(created.status).toBe(201);
  const sub = { endpoint: `${dmaap.url}/eventListener/v7`, username: 'ves-user', password: '***' };
  expect(created.body.vesagent_config).toEqual({ ...config.vesagent_config, ves_subscription: sub });
  expect(created.body.vesagent_backlogs).toMatchObject({ vimid: vim, poll_interval_default: 10, subscription: sub });
  expect(created.body.vesagent_backlogs.backlogs.map((b: { backlog_uuid: string }) => b.backlog_uuid)).toEqual([
    expect.any(String),
    expect.any(String),
  ]);
  expect((await api('GET', `/api/multicloud-fcaps/v0/${vim}/vesagent`)).body).toEqual(created.body);
  // Refused bodies do not echo the password either.
  const bad = await api('POST', `/api/multicloud-vio/v0/${vim}/vesagent`, {
    vesagent_config: {
      ...config.vesagent_config,
      ves_subscription: { endpoint: `http://ves-user:${PASSWORD}@127.0.0.1:${port}/eventListener/v7` },
    },
  });
  expect(bad.status).toBe(400);
  expect((await api('POST', `/api/multicloud-vio/v0/nope-${vim}/vesagent`, config)).status).toBe(404);
});

let legacyOnset: Header;

test('a power_off of a selected VM (legacy, matching no subscription): one valid Fault_MultiCloud_VMFailure', async () => {
  const at = await publish(legacyPowerOff(), `${vim}-off-1`);
  const confirmed = Date.now();
  const [onset, ...more] = await faults(1);
  const readable = Date.now();
  const decided = Date.parse(
    String(
      daemon.lines.find((l) => l.message === 'VES Fault_MultiCloud_VMFailure decided' && l.messageId === `${vim}-off-1`)
        ?.timestamp,
    ),
  );
  console.log(
    `VES onset latency: broker confirmed the publish -> decided ${decided - confirmed} ms -> readable on ${FAULTS} ${readable - decided} ms`,
  );
  expect(more).toEqual([]);
  legacyOnset = onset.header;
  expect(legacyOnset).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailure',
    reportingEntityName: vim,
    sourceId: LEGACY_VM,
    sourceName: 'vm-0000',
    startEpochMicrosec: at,
    lastEpochMicrosec: at,
  });
  expect(onset.info).toMatchObject({
    vim_id: vim,
    tenant_id: LEGACY_TENANT,
    vm_state: 'stopped',
    event_type: 'compute.instance.power_off.end',
    message_id: `${vim}-off-1`,
    host: 'host1',
  });
  await settled();
  expect(Object.keys(storedAlarms())).toEqual([LEGACY_VM]);
  expect(await consume(dmaap.url, deleteTopic, 1, 500)).toEqual([]);
});

test("a second fault notification of the same VM raises no second onset; another tenant's VMs nothing", async () => {
  await noEventFor(legacyPowerOff(), `${vim}-off-2`);
  const other = legacyPowerOff();
  await noEventFor(
    {
      ...other,
      payload: {
        ...other.payload,
        tenant_id: 'a4b4772d93c74d5e8b7c68cdd2a014e1',
        instance_id: '9966d6bd-a45c-4e1c-9d57-3054899a3ec7',
      },
    },
    `${vim}-other-1`,
  );
  // A real VM of another tenant, paused.
  await noEventFor(legacySample('watcher/scenario3_legacy_instance-update.json'), `${vim}-other-2`);
  expect(Object.keys(storedAlarms())).toEqual([LEGACY_VM]);
});

test("power_on: the clear, carrying the onset's startEpochMicrosec", async () => {
  const at = await publish(legacyPowerOn(), `${vim}-on-1`);
  const [clear, ...more] = await faults(1);
  expect(more).toEqual([]);
  expect(clear.header).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailureCleared',
    sourceId: LEGACY_VM,
    startEpochMicrosec: legacyOnset.startEpochMicrosec,
    lastEpochMicrosec: at,
  });
  expect(clear.header.eventId).not.toBe(legacyOnset.eventId);
  expect(clear.info).toMatchObject({
    vm_state: 'active',
    event_type: 'compute.instance.power_on.end',
    onset_event_id: legacyOnset.eventId,
  });
  await settled();
  expect(storedAlarms()).toEqual({});
});

let versionedOnset: Header;

test('a restart of the daemon between onset and clear: no duplicate onset after it, and the clear still comes', async () => {
  const at = await publish(expandVersioned('instance-power_off-end.json'), `${vim}-v-off-1`);
  const [onset] = await faults(1);
  versionedOnset = onset.header;
  expect(versionedOnset).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailure',
    sourceId: VERSIONED_VM,
    sourceName: 'some-server',
    startEpochMicrosec: at,
  });
  expect(onset.info).toMatchObject({
    tenant_id: VERSIONED_TENANT,
    event_type: 'instance.power_off.end',
    vm_state: 'stopped',
  });
  await settled();
  await stop();
  expect(Object.keys(storedAlarms())).toEqual([VERSIONED_VM]);
  daemon = await start();
  expect((await api('GET', `/api/multicloud-vio/v0/${vim}/vesagent`)).status).toBe(200);
  await noEventFor(expandVersioned('instance-power_off-end.json'), `${vim}-v-off-2`);
  await noEventFor(expandVersioned('instance-pause-end.json'), `${vim}-v-pause-1`);
  const on = await publish(expandVersioned('instance-power_on-end.json'), `${vim}-v-on-1`);
  const [clear, ...more] = await faults(1);
  expect(more).toEqual([]);
  expect(clear.header).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailureCleared',
    sourceId: VERSIONED_VM,
    startEpochMicrosec: versionedOnset.startEpochMicrosec,
    lastEpochMicrosec: on,
  });
  expect(clear.info.onset_event_id).toBe(versionedOnset.eventId);
  await settled();
  expect(storedAlarms()).toEqual({});
});

test('the collector down for seconds while a fault arrives: the notification stays unacked, the onset arrives once it is back', async () => {
  await dmaap.stop();
  const at = await publish(expandVersioned('instance-power_off-end.json'), `${vim}-v-off-3`);
  await waitFor(async () => (await queueCounts(queue))?.unacked === 1, 'the delivery held unacked', 20000, 200);
  await waitFor(
    async () =>
      (
        (await fetch(`${daemon.adminUrl}/readyz?strict=1`).then((r) => r.json())) as { reasons?: string[] }
      ).reasons?.some((r) => r.startsWith('ves: failing')),
    'readiness to report the collector',
  );
  await sleep(3000);
  expect(await queueCounts(queue)).toMatchObject({ ready: 0, unacked: 1 });
  expect(storedAlarms()).toEqual({});

  dmaap = await startDmaapDevProcess(port);
  group++;
  const back = Date.now();
  const [onset, ...more] = await faults(1);
  console.log(`VES onset after the collector came back: ${Date.now() - back} ms (ves.retryMaxMs 500)`);
  expect(more).toEqual([]);
  expect(onset.header).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailure',
    sourceId: VERSIONED_VM,
    startEpochMicrosec: at,
  });
  await settled();
  expect(Object.keys(storedAlarms())).toEqual([VERSIONED_VM]);
  expect(daemon.lines.some((l) => l.message.startsWith('ves recovered'))).toBe(true);
});

test('delete.end (a subscribed state): its DMaaP message and the clear; a deleted VM clears', async () => {
  const at = await publish(expandVersioned('instance-delete-end.json'), `${vim}-v-del-1`);
  const [clear, ...more] = await faults(1);
  expect(more).toEqual([]);
  expect(clear.header).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailureCleared',
    sourceId: VERSIONED_VM,
    lastEpochMicrosec: at,
  });
  expect(clear.info).toMatchObject({ vm_state: 'deleted', event_type: 'instance.delete.end' });
  const [msg] = await consume(dmaap.url, deleteTopic, 1, 10000, `ves-e2e-${group}`);
  expect(msg).toMatchObject({ message_id: `${vim}-v-del-1` });
  await settled();
  expect(storedAlarms()).toEqual({});
});

test('stopped while the collector is down: the delivery is requeued, and after the restart the onset comes once', async () => {
  await dmaap.stop();
  const at = await publish(expandVersioned('instance-power_off-end.json'), `${vim}-v-off-4`);
  await waitFor(async () => (await queueCounts(queue))?.unacked === 1, 'the delivery held unacked', 20000, 200);
  await stop();
  expect(daemon.lines.some((l) => /requeued/.test(l.message) && l.requeued === 1)).toBe(true);
  expect(await queueCounts(queue)).toMatchObject({ ready: 1, unacked: 0 });
  expect(storedAlarms()).toEqual({});
  dmaap = await startDmaapDevProcess(port);
  group++;
  daemon = await start();
  const [onset, ...more] = await faults(1);
  expect(more).toEqual([]);
  expect(onset.header).toMatchObject({
    eventName: 'Fault_MultiCloud_VMFailure',
    sourceId: VERSIONED_VM,
    startEpochMicrosec: at,
  });
  await settled();
  expect(await faults(1, 1000)).toEqual([]);
  expect(Object.keys(storedAlarms())).toEqual([VERSIONED_VM]);
});

test('DELETE of the configuration: later faults send nothing', async () => {
  expect((await api('DELETE', `/api/multicloud-fcaps/v0/${vim}/vesagent`)).status).toBe(200);
  expect((await api('GET', `/api/multicloud-vio/v0/${vim}/vesagent`)).status).toBe(404);
  await noEventFor(legacyPowerOff(), `${vim}-off-after-delete`);
  await noEventFor(expandVersioned('instance-power_off-end.json'), `${vim}-v-off-after-delete`);
  expect(storedAlarms()).toEqual({});
});

test('no answer and no log line of the whole run shows the VES password or its Basic credentials', async () => {
  await stop();
  expect(all).toContain('"password":"***"');
  expect(all).toContain('VES Fault_MultiCloud_VMFailureCleared decided'); // debug level: every admin request, every decision
  for (const secret of [PASSWORD, BASIC]) expect(all).not.toContain(secret);
});
