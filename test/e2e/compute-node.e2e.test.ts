/**
 * Compute-node events end to end: the built daemon as a process, the real RabbitMQ, dmaap-dev
 * as a process. nova's own notifications (service.create/delete of nova-compute, metrics.update,
 * compute.metrics.update) and the spec's compute_node.update go in as oslo puts them on the
 * wire; the spec's rule decides what comes out, across a daemon restart.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { legacyMetrics, serviceSample, SPEC_NODE, specSample, versionedMetrics } from '../helpers/compute-node.js';
import { freePort, ROOT, spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { routingKeyFor, toWireV1, toWireV2, type Sample } from '../helpers/fixtures.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/compute-node-message.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

const exchange = uniqueName('nova-cn-e2e');
const vimId = uniqueName('cn-e2e');
const queue = `vim-event-relay.${vimId}`;
const topic = `NODES_${vimId}`;
const dir = tempDir('ver-cn-');
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon | undefined;
let dmaapPort: number;

const config = () => ({
  dmaap: { url: `http://127.0.0.1:${dmaapPort}`, timeoutMs: 2000 },
  publish: { retryInitialMs: 50, retryMaxMs: 500 },
  vims: [{ id: vimId, transportUrl: rabbitUrl(), exchange }],
  subscriptions: [
    {
      id: `${vimId}-nodes`,
      vimId,
      states: ['COMPUTE_NODE_CREATE', 'compute_node_update', 'COMPUTE_NODE_DELETE'],
      topic,
    },
  ],
});

async function start(): Promise<void> {
  daemon = await spawnDaemon(config(), { dir });
  await waitFor(async () => (await fetch(`${daemon!.adminUrl}/readyz?strict=1`)).status === 200, 'readyz 200');
}

/** Publishes as nova does (legacy: rabbit driver 1.0 body; versioned: messagingv2) and returns the message_id. */
async function send(sample: Sample): Promise<string> {
  const id = randomUUID();
  const versioned = 'nova_object.data' in sample.payload;
  const body = (versioned ? toWireV2 : toWireV1)(sample, { messageId: id, timestamp: new Date() });
  await withChannel(async (ch) => void publishOslo(ch, exchange, routingKeyFor(sample), body));
  return id;
}

/** Every delivery settled: what was suppressed has been decided, not merely not yet read. */
async function drained(): Promise<void> {
  await waitFor(
    async () => {
      const c = await queueCounts(queue);
      return c && c.ready === 0 && c.unacked === 0;
    },
    'the relay queue to be empty',
    20000,
    200,
  );
}

const storedNodes = (): Record<string, Record<string, unknown>> | undefined =>
  (
    JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {
      computeNodes: Record<string, Record<string, Record<string, unknown>>>;
    }
  ).computeNodes[vimId];

async function next(expectedId: string): Promise<Record<string, unknown>> {
  const [m, ...more] = await consume(dmaap.url, topic, 1, 20000);
  expect(more).toEqual([]);
  expect(m?.message_id).toBe(expectedId);
  expect(validate(m) ? '' : JSON.stringify(validate.errors)).toBe('');
  return m;
}

beforeAll(async () => {
  dmaapPort = await freePort();
  dmaap = await startDmaapDevProcess(dmaapPort);
  await withChannel(async (ch) => void (await ch.assertExchange(exchange, 'topic', { durable: false })));
  await start();
});

afterAll(async () => {
  if (daemon) expect(await stopDaemon(daemon)).toBe(0);
  await dmaap?.stop();
  await cleanup({ queues: [queue, `${queue}.dead`], exchanges: [exchange] });
  rmSync(dir, { recursive: true, force: true });
});

test('create, changed updates, suppressed unchanged and untracked-only updates, across a restart, then delete', async () => {
  const nulls = Object.fromEntries(Object.keys(SPEC_NODE).map((k) => [k, null]));

  const created = await send(serviceSample('service-create.json', 'compute'));
  expect(await next(created)).toEqual({
    vim_id: vimId,
    event: 'COMPUTE_NODE_CREATE',
    event_type: 'service.create',
    message_id: created,
    timestamp: expect.stringMatching(/Z$/),
    publisher_id: 'nova-compute:compute',
    ...nulls,
    host: 'compute',
  });

  const named = await send(versionedMetrics()); // the node's name becomes known
  expect(await next(named)).toMatchObject({
    event: 'COMPUTE_NODE_UPDATE',
    event_type: 'metrics.update',
    host: 'compute',
    hypervisor_hostname: 'fake-mini',
    host_ip: '10.0.2.15',
    vcpus: null,
  });

  const counted = await send(specSample('compute_node.update', SPEC_NODE)); // the spec's form: vcpus etc. become known
  expect(await next(counted)).toMatchObject({
    ...SPEC_NODE,
    event: 'COMPUTE_NODE_UPDATE',
    event_type: 'compute_node.update',
  });

  await send(versionedMetrics()); // unchanged
  await send(legacyMetrics({ host: 'compute', nodename: 'fake-mini', host_ip: '10.0.2.99' })); // host_ip only: untracked
  await drained();
  expect(await consume(dmaap.url, topic, 1, 1500)).toEqual([]);
  expect(storedNodes()).toEqual({ 'fake-mini': { ...SPEC_NODE, host_ip: '10.0.2.99' } }); // learned, not published

  expect(await stopDaemon(daemon!)).toBe(0);
  await start(); // same dir: the store, and with it the node memory, persists

  await send(specSample('compute_node.update', { ...SPEC_NODE, host_ip: '10.0.2.99', free_ram_mb: 1024 })); // unchanged again
  await send(versionedMetrics({ host_ip: '10.0.2.99' }));
  const deleted = await send(serviceSample('service-delete.json', 'compute'));
  // The next message on the topic is the delete: the updates before it were suppressed, not lost in transit.
  expect(await next(deleted)).toEqual({
    vim_id: vimId,
    event: 'COMPUTE_NODE_DELETE',
    event_type: 'service.delete',
    message_id: deleted,
    timestamp: expect.stringMatching(/Z$/),
    publisher_id: 'nova-compute:compute',
    ...SPEC_NODE,
    host_ip: '10.0.2.99',
    free_ram_mb: 1024,
  });
  await drained();
  expect(storedNodes()).toBeUndefined();

  const all = await consume(dmaap.url, topic, 5, 1500, 'everything');
  expect(all.map((m) => m.message_id)).toEqual([created, named, counted, deleted]);
});
