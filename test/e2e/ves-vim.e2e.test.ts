/**
 * Fault_MultiCloud_VIMUnreachable through the built daemon: the VIM's broker (the local RabbitMQ
 * behind a TCP proxy the test can cut) unreachable past ves.vimUnreachableAfterMs raises the
 * onset at dmaap-dev's collector, a shorter blip nothing, and REACHABLE again the clear.
 */
import { jest } from '@jest/globals';
import { cleanup, rabbitUrl, uniqueName } from '../helpers/amqp.js';
import { freePort, spawnDaemon, stopDaemon, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { sleep, waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const FAULTS = 'unauthenticated.SEC_FAULT_OUTPUT';
const AFTER_MS = 2000;
const vimA = uniqueName('ves-vim-a');
const vimB = uniqueName('ves-vim-b');
const exchanges = [uniqueName('nova-ves-a'), uniqueName('nova-ves-b')];
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon;
let proxyA: TcpProxy;
let proxyB: TcpProxy;

interface Header {
  eventName: string;
  sourceId: string;
  sourceName: string;
  reportingEntityName: string;
  startEpochMicrosec: number;
}

const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${daemon.adminUrl}${url}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const status = async (vim: string) =>
  (await api('GET', `/api/v1/vims/${vim}`)).body as { status: string; statusSince: string };

const headers = async (n: number, vim: string, timeoutMs: number) =>
  (
    await consume(
      dmaap.url,
      FAULTS,
      n,
      timeoutMs,
      `vim-${vim}`,
      (m) => (m.event as { commonEventHeader: Header }).commonEventHeader.sourceId === vim,
    )
  ).map((m) => (m.event as { commonEventHeader: Header }).commonEventHeader);

const vesConfig = () => ({
  vesagent_config: {
    ves_subscription: { endpoint: `${dmaap.url}/eventListener/v7` },
    backlogs: [{ domain: 'fault', type: 'vm' }],
  },
});

/** The broker gone for the VIM: live connections cut, new ones turned away. */
function cut(proxy: TcpProxy): void {
  proxy.pause();
  proxy.cutAll();
}

beforeAll(async () => {
  dmaap = await startDmaapDevProcess(await freePort());
  [proxyA, proxyB] = [await startTcpProxy(5672), await startTcpProxy(5672)];
  daemon = await spawnDaemon({
    dmaap: { url: dmaap.url },
    ves: { retryInitialMs: 50, retryMaxMs: 500, vimUnreachableAfterMs: AFTER_MS },
    transport: { reconnectInitialMs: 50, reconnectMaxMs: 300 },
    vims: [
      { id: vimA, transportUrl: rabbitUrl(`127.0.0.1:${proxyA.port}`), exchange: exchanges[0] },
      { id: vimB, transportUrl: rabbitUrl(`127.0.0.1:${proxyB.port}`), exchange: exchanges[1] },
    ],
    subscriptions: [],
  });
  for (const vim of [vimA, vimB])
    await waitFor(async () => (await status(vim)).status === 'REACHABLE', `${vim} reachable`, 20000);
});

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await dmaap?.stop();
  await proxyA?.close();
  await proxyB?.close();
  await cleanup({
    queues: [vimA, vimB].flatMap((v) => [`vim-event-relay.${v}`, `vim-event-relay.${v}.dead`]),
    exchanges,
  });
});

test('a blip shorter than ves.vimUnreachableAfterMs sends nothing', async () => {
  expect((await api('POST', `/api/multicloud-vio/v0/${vimA}/vesagent`, vesConfig())).status).toBe(201);
  cut(proxyA);
  await waitFor(async () => (await status(vimA)).status === 'UNREACHABLE', 'A unreachable');
  proxyA.resume();
  await waitFor(async () => (await status(vimA)).status === 'REACHABLE', 'A reachable again', 20000);
  expect(await headers(1, vimA, AFTER_MS + 1000)).toEqual([]);
});

test('unreachable past the threshold: the onset (source the VIM, start when it became unreachable); reachable again: the clear', async () => {
  cut(proxyA);
  await waitFor(async () => (await status(vimA)).status === 'UNREACHABLE', 'A unreachable');
  const since = Date.parse((await status(vimA)).statusSince);
  const [onset, ...more] = await headers(1, vimA, AFTER_MS + 10000);
  console.log(
    `VIMUnreachable onset ${Date.now() - since} ms after the VIM became unreachable (threshold ${AFTER_MS} ms)`,
  );
  expect(more).toEqual([]);
  expect(onset).toMatchObject({
    eventName: 'Fault_MultiCloud_VIMUnreachable',
    sourceId: vimA,
    sourceName: vimA,
    reportingEntityName: vimA,
    startEpochMicrosec: since * 1000,
  });
  await sleep(1500); // still unreachable, reconnecting: no second onset
  expect(await headers(1, vimA, 500)).toEqual([]);
  proxyA.resume();
  const [clear] = await headers(1, vimA, 20000);
  expect(clear).toMatchObject({
    eventName: 'Fault_MultiCloud_VIMUnreachableCleared',
    sourceId: vimA,
    startEpochMicrosec: since * 1000,
  });
});

test('a VES configuration added while the VIM has been unreachable longer than the threshold still raises the onset', async () => {
  cut(proxyB);
  await waitFor(async () => (await status(vimB)).status === 'UNREACHABLE', 'B unreachable');
  await sleep(AFTER_MS + 500);
  expect((await api('POST', `/api/multicloud-vio/v0/${vimB}/vesagent`, vesConfig())).status).toBe(201);
  const [onset] = await headers(1, vimB, 15000);
  expect(onset).toMatchObject({ eventName: 'Fault_MultiCloud_VIMUnreachable', sourceId: vimB });
  proxyB.resume();
  expect((await headers(1, vimB, 20000))[0]).toMatchObject({ eventName: 'Fault_MultiCloud_VIMUnreachableCleared' });
});
