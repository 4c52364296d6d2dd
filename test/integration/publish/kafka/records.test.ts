/**
 * KafkaDestination against the Kafka under test (test/helpers/kafka-under-test.ts): a real Apache
 * Kafka in a container where a Docker engine answers, else librdkafka's mock cluster. What is
 * written, field for field, and in what order; no fault injection here (destination.test.ts has
 * it, on the mock). Records are read back with a consumer, not the producer under test.
 */
import { randomUUID } from 'node:crypto';
import { KafkaDestination } from '../../../../src/publish/kafka/destination.js';
import type { KafkaDestinationOptions } from '../../../../src/publish/kafka/options.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { startKafkaUnderTest, testRecord, type KafkaUnderTest } from '../../../helpers/kafka-under-test.js';

let kafka: KafkaUnderTest;
const destinations: KafkaDestination[] = [];

beforeAll(async () => {
  kafka = await startKafkaUnderTest();
}, 240_000);
afterAll(async () => {
  await kafka?.stop();
}, 60_000);
afterEach(async () => {
  await Promise.all(destinations.splice(0).map((d) => d.close(0)));
});

const topicName = () => `relay.test.${randomUUID().slice(0, 8)}`;

function destination(opts: Partial<KafkaDestinationOptions> = {}): KafkaDestination {
  const d = new KafkaDestination(
    { brokers: kafka.brokers, retryInitialMs: 20, retryMaxMs: 200, connectionTimeoutMs: 3000, ...opts },
    silentLogger(),
  );
  destinations.push(d);
  return d;
}

const record = testRecord;

const text = (headers: Record<string, Buffer>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.toString('utf8')]));

describe(`KafkaDestination against the Kafka under test`, () => {
  it('writes each record field for field: value byte for byte, key, headers plus content-type', async () => {
    const topic = topicName();
    await kafka.createTopic(topic, 3);
    const d = destination();
    const recs = [
      record(topic, 'vm-a', 1),
      record(topic, 'vm-b', 2, '\u2603 "quoted"'),
      { topic, key: 'vm-c', json: '{"spaced" :  1 }' },
    ];
    await Promise.all(recs.map((r) => d.send(r)));
    expect(d.pending()).toBe(0);
    const got = await kafka.records(topic);
    expect(got).toHaveLength(3);
    for (const r of recs) {
      const rec = got.find((x) => x.key?.toString() === r.key);
      expect(rec?.value.equals(Buffer.from(r.json, 'utf8'))).toBe(true);
      expect(text(rec?.headers ?? {})).toEqual({ ...r.headers, 'content-type': 'application/json' });
    }
    expect(d.health().ok).toBe(true);
  });

  it('keeps each VM in one partition, in the order sent, across many batches and requests in flight', async () => {
    const topic = topicName();
    await kafka.createTopic(topic, 4);
    const d = destination({ batchMaxMessages: 9, maxInFlightRequests: 3, lingerMs: 1 });
    const vms = Array.from({ length: 12 }, (_, i) => `vm-${i}`);
    const sends: Promise<void>[] = [];
    for (let n = 0; n < 40; n++) {
      for (const vm of vms) sends.push(d.send(record(topic, vm, n)));
      if (n % 8 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(sends);
    const got = await kafka.records(topic);
    expect(got).toHaveLength(vms.length * 40);
    for (const vm of vms) {
      const mine = got.filter((r) => r.key?.toString() === vm);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => (JSON.parse(r.value.toString('utf8')) as { seq: number }).seq)).toEqual(
        Array.from({ length: 40 }, (_, i) => i),
      );
    }
  });
});
