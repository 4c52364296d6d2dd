/**
 * KafkaDestination under injected faults: librdkafka's mock cluster (test/helpers/kafka-mock.ts),
 * whatever the Kafka under test is, since only the mock can be told to take its brokers down or
 * fail the next request. Records are read back with librdkafka's consumer, not the client under
 * test. What is written and its order without faults: records.test.ts, on the Kafka under test.
 */
import { randomUUID } from 'node:crypto';
import type { RequestEvent, RetryEvent } from '../../../../src/publish/destination.js';
import { KafkaDestination } from '../../../../src/publish/kafka/destination.js';
import type { KafkaDestinationOptions } from '../../../../src/publish/kafka/options.js';
import { isRelayError } from '../../../../src/errors.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { API, KERR, MockKafka } from '../../../helpers/kafka-mock.js';
import { readTopic, testRecord } from '../../../helpers/kafka-under-test.js';
import { waitFor } from '../../../helpers/wait.js';

let mock: MockKafka;
const destinations: KafkaDestination[] = [];
let requests: RequestEvent[];
let retries: RetryEvent[];

beforeAll(async () => {
  mock = await MockKafka.start(3);
});
afterAll(async () => {
  await mock.stop();
});
beforeEach(() => {
  requests = [];
  retries = [];
});
afterEach(async () => {
  await Promise.all(destinations.splice(0).map((d) => d.close(0)));
  await mock.command('up -1');
  await mock.command('rtt -1 0');
});

const topicName = () => `relay.test.${randomUUID().slice(0, 8)}`;

function destination(opts: Partial<KafkaDestinationOptions> = {}): KafkaDestination {
  const d = new KafkaDestination(
    {
      brokers: mock.brokers,
      retryInitialMs: 20,
      retryMaxMs: 200,
      requestTimeoutMs: 3000,
      connectionTimeoutMs: 1000,
      hooks: { onRequest: (e) => requests.push(e), onRetry: (e) => retries.push(e) },
      ...opts,
    },
    silentLogger(),
  );
  destinations.push(d);
  return d;
}

const record = testRecord;

/** Per key, the seq numbers in the order the topic holds them. */
async function seqsByKey(topic: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const recs = (await mock.dump(topic)).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const r of recs) {
    const v = JSON.parse(r.value.toString('utf8')) as { instance_id: string; seq: number };
    out.set(v.instance_id, [...(out.get(v.instance_id) ?? []), v.seq]);
  }
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('KafkaDestination against the mock cluster', () => {
  it('keeps order per key across injected retriable errors (NOT_LEADER, NOT_ENOUGH_REPLICAS)', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 2);
    const d = destination({ batchMaxMessages: 7, maxInFlightRequests: 4 });
    const vms = ['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5'];
    const sends: Promise<void>[] = [];
    for (const n of range(60)) {
      if (n === 10) await mock.failRequests(API.Produce, KERR.NOT_LEADER_FOR_PARTITION, 3);
      if (n === 35) await mock.failRequests(API.Produce, KERR.NOT_ENOUGH_REPLICAS, 4);
      for (const vm of vms) sends.push(d.send(record(topic, vm, n)));
      if (n % 5 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sends);
    expect(retries.length).toBeGreaterThanOrEqual(7);
    expect(retries.some((r) => r.reason.includes('NOT_LEADER_FOR_PARTITION'))).toBe(true);
    expect(retries.some((r) => r.reason.includes('NOT_ENOUGH_REPLICAS'))).toBe(true);
    const byKey = await seqsByKey(topic);
    for (const vm of vms) expect(byKey.get(vm)).toEqual(range(60));
  });

  it('follows a leader that moves to another broker', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    await mock.command(`leader ${topic} 0 1`);
    const d = destination();
    await d.send(record(topic, 'vm-a', 0));
    await mock.command(`leader ${topic} 0 2`);
    await Promise.all(range(5).map((n) => d.send(record(topic, 'vm-a', n + 1))));
    expect((await seqsByKey(topic)).get('vm-a')).toEqual(range(6));
    expect(retries.some((r) => r.reason.includes('NOT_LEADER_FOR_PARTITION'))).toBe(true);
  });

  it('retries a request that times out (a broker answering after the request deadline)', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination({ requestTimeoutMs: 300 });
    await d.send(record(topic, 'vm-a', 0)); // connected, metadata known
    await mock.command('rtt -1 1000');
    const sent = d.send(record(topic, 'vm-a', 1));
    await waitFor(() => retries.length > 0, 'a retry after the timeout', 10_000);
    expect(retries[0]?.reason).toMatch(/timed out|timeout/i);
    await mock.command('rtt -1 0');
    await sent;
    // A request that timed out may still have landed: at least once, and the last copy is in order.
    const seqs = (await seqsByKey(topic)).get('vm-a') ?? [];
    expect(seqs[0]).toBe(0);
    expect(seqs[seqs.length - 1]).toBe(1);
  });

  it('loses nothing when every broker goes down and comes back; health follows it', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 3);
    const d = destination();
    await d.send(record(topic, 'vm-0', -1));
    await mock.command('down -1');
    const sends = range(50).map((n) => d.send(record(topic, `vm-${n % 5}`, n)));
    await waitFor(() => !d.health().ok, 'health to turn not ok', 10_000);
    expect(d.pending()).toBe(50);
    await mock.command('up -1');
    await Promise.all(sends);
    await waitFor(() => d.health().ok, 'health to recover', 10_000);
    const byKey = await seqsByKey(topic);
    for (const k of range(5))
      expect(byKey.get(`vm-${k}`)?.filter((n) => n >= 0)).toEqual(range(50).filter((n) => n % 5 === k));
  });

  it('one partition without a leader holds only its own records; the others go on, and it catches up in order', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 2);
    for (const p of [0, 1]) await mock.command(`leader ${topic} ${p} ${p + 1}`);
    const d = destination();
    await Promise.all(['vm-a', 'vm-b', 'vm-c', 'vm-d'].map((vm) => d.send(record(topic, vm, -1))));
    const partitionOf = new Map((await mock.dump(topic)).map((r) => [r.key?.toString() ?? '', r.partition]));
    const held = [...partitionOf].filter(([, p]) => p === 0).map(([vm]) => vm);
    const free = [...partitionOf].filter(([, p]) => p === 1).map(([vm]) => vm);
    expect(held.length > 0 && free.length > 0).toBe(true); // both partitions have keys
    await mock.command(`leader ${topic} 0 -1`);
    const heldSends = held.flatMap((vm) => range(5).map((n) => d.send(record(topic, vm, n))));
    await Promise.all(free.flatMap((vm) => range(5).map((n) => d.send(record(topic, vm, n)))));
    expect(d.pending()).toBe(heldSends.length); // partition 1 drained while partition 0 had no leader
    await mock.command(`leader ${topic} 0 2`);
    await Promise.all(heldSends);
    const byKey = await seqsByKey(topic);
    for (const vm of [...held, ...free]) expect(byKey.get(vm)).toEqual([-1, ...range(5)]);
  });

  it('refuses for good on TOPIC_AUTHORIZATION_FAILED, naming the topic and the Kafka error; health stays ok', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination();
    await d.send(record(topic, 'vm-a', 0));
    await mock.failRequests(API.Produce, KERR.TOPIC_AUTHORIZATION_FAILED, 1);
    const err = await d.send(record(topic, 'vm-a', 1)).catch((e: unknown) => e);
    expect(isRelayError(err) && err.code).toBe('KAFKA_REJECTED');
    expect((err as Error).message).toContain(topic);
    expect((err as Error).message).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(isRelayError(err) && err.spec.disposition).toBe('dead-letter');
    expect(d.health().ok).toBe(true);
    expect(requests.some((e) => e.outcome === 'permanent' && e.status === KERR.TOPIC_AUTHORIZATION_FAILED)).toBe(true);
    await d.send(record(topic, 'vm-a', 2)); // the next record goes through
  });

  it('refuses a topic whose metadata is unauthorized (the user lacks Describe)', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    await mock.command(`topic-error ${topic} ${KERR.TOPIC_AUTHORIZATION_FAILED}`);
    const d = destination();
    const err = await d.send(record(topic, 'vm-a', 0)).catch((e: unknown) => e);
    expect(isRelayError(err) && err.code).toBe('KAFKA_REJECTED');
    expect((err as Error).message).toContain(`"${topic}"`);
    expect((err as Error).message).toContain('TOPIC_AUTHORIZATION_FAILED');
    await mock.command(`topic-error ${topic} 0`); // the ACL is fixed: the next record goes
    await d.send(record(topic, 'vm-a', 1));
  });

  it('refuses only the too-large record of a batch (MESSAGE_TOO_LARGE), the others land in order', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination({ lingerMs: 50 });
    await d.send(record(topic, 'vm-a', 0));
    await mock.failRequests(API.Produce, KERR.MESSAGE_TOO_LARGE, 1); // the batch of four
    const results = await Promise.allSettled(range(4).map((n) => d.send(record(topic, 'vm-a', n + 1))));
    // Split into singles: the first single is accepted... unless the error is pushed again.
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    await mock.failRequests(API.Produce, KERR.MESSAGE_TOO_LARGE, 2); // the batch, then its first single
    const second = await Promise.allSettled(range(3).map((n) => d.send(record(topic, 'vm-a', n + 5))));
    expect(second.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const reason = (second[0] as PromiseRejectedResult).reason as Error;
    expect(isRelayError(reason) && reason.code).toBe('KAFKA_REJECTED');
    expect(reason.message).toContain('MESSAGE_TOO_LARGE');
    expect((await seqsByKey(topic)).get('vm-a')).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });

  it('dead-letters with KAFKA_RETRY_EXPIRED after kafka.maxRetryMs', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination({ maxRetryMs: 300 });
    await d.send(record(topic, 'vm-a', 0));
    await mock.command('down -1');
    const started = Date.now();
    const err = await d.send(record(topic, 'vm-a', 1)).catch((e: unknown) => e);
    expect(isRelayError(err) && err.code).toBe('KAFKA_RETRY_EXPIRED');
    expect((err as Error).message).toContain(topic);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('close: no new records, pending ones get their deadline, then PUBLISHER_CLOSED', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination();
    await d.send(record(topic, 'vm-a', 0));
    const accepted = d.send(record(topic, 'vm-a', 1));
    await d.close(2000);
    await expect(accepted).resolves.toBeUndefined();
    const late = await d.send(record(topic, 'vm-a', 2)).catch((e: unknown) => e);
    expect(isRelayError(late) && late.code).toBe('PUBLISHER_CLOSED');

    const d2 = destination();
    await d2.send(record(topic, 'vm-b', 0));
    await mock.command('down -1');
    const stuck = d2.send(record(topic, 'vm-b', 1)).catch((e: unknown) => e);
    const t0 = Date.now();
    await d2.close(300);
    const err = await stuck;
    expect(isRelayError(err) && err.code).toBe('PUBLISHER_CLOSED');
    expect(isRelayError(err) && err.spec.disposition).toBe('requeue');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(d2.pending()).toBe(0);
  });

  it("the Docker backend's reader (a kafkajs consumer) reads what librdkafka's consumer reads", async () => {
    const topic = topicName();
    await mock.createTopic(topic, 3);
    const d = destination();
    await Promise.all(range(30).map((n) => d.send(record(topic, `vm-${n % 7}`, n, n % 2 ? '\u2603' : ''))));
    await d.send({ topic, json: '{"keyless":true}' });
    const byLibrdkafka = (await mock.dump(topic)).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expect(byLibrdkafka).toHaveLength(31);
    expect(await readTopic(mock.brokers, topic)).toEqual(byLibrdkafka);
    const empty = topicName();
    await mock.createTopic(empty, 2);
    expect(await readTopic(mock.brokers, empty)).toEqual([]);
  });

  it('SASL set against a listener that offers none (the mock has no SASL): kept, unhealthy while it waits, the reason says what to check', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination({
      sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 's3cret-pw' },
      maxRetryMs: 3000,
    });
    const sent = d.send(record(topic, 'vm-a', 0)).catch((e: unknown) => e);
    const health = await waitFor(() => (d.health().ok ? undefined : d.health()), 'Kafka to turn unhealthy');
    const err = await sent;
    // Retried until kafka.maxRetryMs (0, the default, retries for as long as it takes), never refused as the record's fault.
    expect(isRelayError(err) && err.code).toBe('KAFKA_RETRY_EXPIRED');
    expect(retries.length).toBeGreaterThan(1);
    // Nothing waits any more: the outage is over (the next record's answer starts another).
    expect(d.health().ok).toBe(true);
    for (const reason of [health.reason ?? '', (err as Error).message]) {
      expect(reason).toContain('(SaslHandshake): the broker offers no SASL on this listener');
      expect(reason).toContain('kafka.sasl.mechanism');
      expect(reason).not.toContain('s3cret-pw');
    }
  });

  it('refuses over its sanity cap with PUBLISHER_OVERLOADED', async () => {
    const topic = topicName();
    await mock.createTopic(topic, 1);
    const d = destination({ maxPending: 2 });
    await mock.command('down -1');
    const held = [d.send(record(topic, 'vm-a', 0)), d.send(record(topic, 'vm-a', 1))].map((p) =>
      p.catch(() => undefined),
    );
    const err = await d.send(record(topic, 'vm-a', 2)).catch((e: unknown) => e);
    expect(isRelayError(err) && err.code).toBe('PUBLISHER_OVERLOADED');
    await mock.command('up -1');
    await Promise.all(held);
  });
});
