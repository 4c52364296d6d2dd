/**
 * End to end, as a user runs it: the built daemon (dist/main.js) as a process with a config
 * file, the real RabbitMQ, and `vim-event-relay dmaap-dev` as a process. Notifications are
 * published exactly as oslo.messaging puts them on the wire, and read back through dmaap-dev's
 * consume API.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { amqpUrl, cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import {
  expandVersioned,
  legacySample,
  loadJson,
  powerOffV2,
  routingKeyFor,
  toWireV1,
  toWireV2,
  type Sample,
} from '../helpers/fixtures.js';
import { freePort, ROOT, spawnDaemon, stopDaemon, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { waitFor } from '../helpers/wait.js';
import { connect } from 'amqplib';
import { jest } from '@jest/globals';

jest.setTimeout(120000);

const vmSchema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/vm-message.schema.json'), 'utf8')) as object;
const validateVm = new Ajv2020({ strict: false, allErrors: true }).compile(vmSchema);

const exchange = uniqueName('nova-e2e');
const vimId = uniqueName('e2e');
const queue = `vim-event-relay.${vimId}`;
const plainQueue = uniqueName('notifications.info-e2e'); // stands in for oslo's plain notifications.info
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon;
let dmaapPort: number;

function config(extra: Record<string, unknown> = {}) {
  return {
    dmaap: { url: `http://127.0.0.1:${dmaapPort}`, timeoutMs: 2000 },
    publish: { retryInitialMs: 50, retryMaxMs: 500 },
    vims: [{ id: vimId, transportUrl: rabbitUrl(), exchange }],
    subscriptions: [
      { id: `${vimId}-power`, vimId, states: ['power_off', 'DELETE'], topic: `A_${vimId}` },
      { id: `${vimId}-all`, vimId, states: ['*'], topic: `B_${vimId}` },
    ],
    ...extra,
  };
}

/** The instance id, state and host as the SOURCE says them (legacy or versioned). */
function sourceFacts(s: Sample): { instance_id: string; state: string; host: unknown } {
  const p = s.payload as Record<string, any>;
  const d = p['nova_object.data'] as Record<string, any> | undefined;
  return d
    ? { instance_id: d.uuid, state: d.state, host: d.host }
    : { instance_id: p.instance_id, state: p.state, host: p.host };
}

beforeAll(async () => {
  dmaapPort = await freePort();
  dmaap = await startDmaapDevProcess(dmaapPort);
  await withChannel(async (ch) => {
    await ch.assertExchange(exchange, 'topic', { durable: false }); // as oslo declares it
    await ch.assertQueue(plainQueue, { durable: false });
    await ch.bindQueue(plainQueue, exchange, 'notifications.info');
  });
  daemon = await spawnDaemon(config());
  await waitFor(async () => (await fetch(`${daemon.adminUrl}/readyz?strict=1`)).status === 200, 'readyz 200');
});

afterAll(async () => {
  if (daemon) expect(await stopDaemon(daemon)).toBe(0);
  await dmaap?.stop();
  await cleanup({ queues: [queue, `${queue}.dead`, plainQueue], exchanges: [exchange] });
});

test('relays exactly the subscribed notifications, field for field; dead-letters the malformed; steals nothing', async () => {
  const legacyOff = loadJson('oslo-wire/sample-wire-legacy.json').body as Sample;
  const versionedOff = expandVersioned('instance-power_off-end.json');
  const versionedDelete = expandVersioned('instance-delete-end.json');
  const legacyCreate = legacySample('designate/compute.instance.create.end.json');
  const versionedPauseStart = expandVersioned('instance-pause-start.json');
  const sends: { sample: Sample; body: Record<string, unknown>; id: string }[] = [];
  const add = (sample: Sample, wrap: typeof toWireV1) => {
    const id = randomUUID();
    sends.push({ sample, body: wrap(sample, { messageId: id, timestamp: new Date('2026-11-22T00:30:05.336Z') }), id });
  };
  add(legacyOff, toWireV1);
  add(versionedOff, toWireV2);
  add(versionedDelete, toWireV2);
  add(legacyCreate, toWireV2);
  add(versionedPauseStart, toWireV2); // a .start: no subscription asks for start phases
  await withChannel(async (ch) => {
    for (const s of sends) publishOslo(ch, exchange, routingKeyFor(s.sample), s.body);
    ch.publish(exchange, 'notifications.info', Buffer.from('this is not json'), { contentType: 'application/json' });
  });

  const topicA = await consume(dmaap.url, `A_${vimId}`, 3);
  const topicB = await consume(dmaap.url, `B_${vimId}`, 4);
  expect(topicA.map((m) => m.message_id).sort()).toEqual([sends[0].id, sends[1].id, sends[2].id].sort());
  expect(topicB.map((m) => m.message_id).sort()).toEqual([sends[0].id, sends[1].id, sends[2].id, sends[3].id].sort());

  for (const m of [...topicA, ...topicB]) {
    expect(validateVm(m)).toBe(true);
    const sent = sends.find((s) => s.id === m.message_id)!;
    const facts = sourceFacts(sent.sample);
    expect(m).toMatchObject({
      vim_id: vimId,
      event_type: sent.sample.event_type,
      publisher_id: sent.sample.publisher_id,
      instance_id: facts.instance_id,
      state: facts.state,
      host: facts.host,
      timestamp: '2026-11-22T00:30:05.336000Z', // oslo writes microseconds
    });
  }
  expect(topicA.find((m) => m.message_id === sends[0].id)!.event).toBe('POWER_OFF');
  expect(topicA.find((m) => m.message_id === sends[2].id)!.event).toBe('DELETE');
  expect(topicB.find((m) => m.message_id === sends[3].id)!.event).toBe('CREATE');

  // The malformed body is in the dead-letter queue with its reason; nothing else is.
  const dead = await withChannel(async (ch) =>
    waitFor(() => ch.get(`${queue}.dead`, { noAck: true }), 'a dead letter'),
  );
  expect(dead.content.toString()).toBe('this is not json');
  expect(dead.properties.headers?.['x-relay-reason-code']).toBe('NOT_JSON');

  // Nothing stolen: the plain queue holds every legacy message nova sent on notifications.info.
  const legacyOnInfo = sends.filter((s) => routingKeyFor(s.sample) === 'notifications.info').length + 1;
  await waitFor(
    async () => (await queueCounts(plainQueue))?.ready === legacyOnInfo,
    `${legacyOnInfo} messages left in the plain queue`,
  );
  // And the relay's own queue is drained: every delivery settled.
  await waitFor(async () => {
    const c = await queueCounts(queue);
    return c && c.ready === 0 && c.unacked === 0;
  }, 'the relay queue to be empty');
});

test('acknowledges nothing before DMaaP accepted it: with DMaaP down the deliveries stay unacked, then all arrive', async () => {
  await dmaap.stop();
  const ids: string[] = [];
  await withChannel(async (ch) => {
    for (let i = 0; i < 20; i++) {
      const id = randomUUID();
      ids.push(id);
      publishOslo(ch, exchange, 'versioned_notifications.info', powerOffV2(id));
    }
  });
  await waitFor(
    async () => (await queueCounts(queue))?.unacked === 20,
    '20 unacked deliveries held by the relay',
    20000,
    250,
  );
  await waitFor(
    async () => (await fetch(`${daemon.adminUrl}/readyz?strict=1`)).status === 503,
    'readyz 503 while DMaaP is down',
  );
  // Still unacked after a while: retries do not give up or drop.
  await new Promise((r) => setTimeout(r, 1500));
  expect(await queueCounts(queue)).toMatchObject({ unacked: 20, ready: 0 });

  dmaap = await startDmaapDevProcess(dmaapPort);
  const got = await consume(dmaap.url, `A_${vimId}`, 20, 30000);
  expect(new Set(got.map((m) => m.message_id))).toEqual(new Set(ids));
  await waitFor(
    async () => {
      const c = await queueCounts(queue);
      return c && c.ready === 0 && c.unacked === 0;
    },
    'every delivery acked once DMaaP accepted it',
    20000,
    250,
  );
});

test('throughput: a burst of 5,000 notifications arrives complete (rate printed for the record)', async () => {
  const n = 5000;
  const sample = expandVersioned('instance-power_off-end.json');
  const model = await connect(amqpUrl());
  const ch = await model.createConfirmChannel();
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    ch.publish(
      exchange,
      'versioned_notifications.info',
      Buffer.from(JSON.stringify(toWireV2(sample, { messageId: `burst-${i}` }))),
      { contentType: 'application/json', deliveryMode: 2 },
    );
  }
  await ch.waitForConfirms();
  await model.close();
  const burst = await consume(dmaap.url, `A_${vimId}`, n, 60000, 'burst', (m) =>
    String(m.message_id).startsWith('burst-'),
  );
  const seconds = (Date.now() - started) / 1000;
  expect(new Set(burst.map((m) => m.message_id)).size).toBe(n);
  process.stdout.write(
    `e2e burst: ${n} notifications relayed in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} msg/s (publish to consume, one process each)\n`,
  );
});
