/**
 * The daemon (built, its own process) with a Kafka subscription to a topic that does not exist,
 * on a real Apache Kafka (test/helpers/kafka-real.ts, plaintext listener): the PUT answers with a
 * warning naming the topic; a notification for it waits (readiness 503, kafka pending 1); once
 * the subscription is deleted, that delivery is settled by KAFKA_TOPIC_UNREFERENCED's disposition
 * (dead-lettered) and the relay is ready again, where it used to wait for a restart.
 */
import { jest } from '@jest/globals';
import { freePort } from '../helpers/daemon.js';
import { startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { startRealKafka, type RealKafka } from '../helpers/kafka-real.js';
import { queueState, RelayUnderTest } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120_000);

let kafka: RealKafka;
let dmaap: DmaapDevProcess;
let relay: RelayUnderTest;

beforeAll(async () => {
  kafka = await startRealKafka({ log: (l) => process.stderr.write(`${l}\n`) });
  dmaap = await startDmaapDevProcess(await freePort());
}, 600_000);
afterAll(async () => {
  await relay?.cleanup();
  await dmaap?.stop();
  await kafka?.stop();
}, 60_000);

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${relay.daemon.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

it('a Kafka subscription to a missing topic: warned at PUT, and its waiting delivery settled when it is deleted', async () => {
  relay = new RelayUnderTest({
    dmaapUrl: dmaap.url,
    config: { kafka: { brokers: kafka.brokers, retryInitialMs: 50, retryMaxMs: 500, connectionTimeoutMs: 2000 } },
  });
  await relay.start();
  const topic = `MISSING_${relay.vimId}`;
  const subId = `${relay.vimId}-kafka`;
  const put = await call('PUT', `/api/v1/subscriptions/${subId}`, {
    vimId: relay.vimId,
    states: ['*'],
    topic,
    sink: 'kafka',
  });
  expect(put.status).toBe(201);
  expect(put.body.topic).toBe(topic);
  expect(put.body.warnings).toEqual([
    expect.stringContaining(`kafka topic "${topic}" does not exist on ${kafka.brokers[0]}`),
  ]);
  // A topic that exists draws no warning.
  const present = `PRESENT_${relay.vimId}`;
  await kafka.createTopic(present, 1);
  const ok = await call('PUT', `/api/v1/subscriptions/${subId}-ok`, {
    vimId: relay.vimId,
    states: ['*'],
    topic: present,
    sink: 'kafka',
  });
  expect(ok.body.warnings).toBeUndefined();
  expect((await call('DELETE', `/api/v1/subscriptions/${subId}-ok`)).status).toBe(204);

  await relay.publish(['wedge-1']);
  // Strict readiness judges the destinations (the default one judges the process alone).
  await waitFor(
    async () => (await relay.get('/readyz?strict=1')).status === 503,
    'strict readiness to fail while the topic is missing',
  );
  expect(await relay.metric('vim_event_relay_destination_pending', { destination: 'kafka' })).toBe(1);

  expect((await call('DELETE', `/api/v1/subscriptions/${subId}`)).status).toBe(204);
  await waitFor(
    async () => (await relay.get('/readyz?strict=1')).status === 200,
    'strict readiness to come back',
    20_000,
  );
  expect(await relay.metric('vim_event_relay_destination_pending', { destination: 'kafka' })).toBe(0);
  await relay.untilDrained();
  await waitFor(async () => (await queueState(relay.dlq)).ready === 1, 'the delivery in the dead-letter queue');
});
