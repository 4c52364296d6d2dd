/**
 * End to end with Kafka: the built daemon, the real RabbitMQ, dmaap-dev as a process, with
 * subscriptions routed by "sink". What is written and what survives a SIGKILL run against the
 * Kafka under test (test/helpers/kafka-under-test.ts: a real Kafka in a container where Docker
 * answers, else librdkafka's mock cluster); Kafka down and Kafka refusing run against the mock
 * (test/helpers/kafka-mock.ts), the only one that can be told to.
 */
import { jest } from '@jest/globals';
import { withChannel } from '../helpers/amqp.js';
import { freePort } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { KERR, API, MockKafka } from '../helpers/kafka-mock.js';
import { startKafkaUnderTest, type KafkaUnderTest } from '../helpers/kafka-under-test.js';
import { RelayUnderTest } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

class KafkaRelay extends RelayUnderTest {
  readonly kafkaTopic = `K_${this.vimId}`;
  constructor(
    dmaapUrl: string,
    private readonly brokers: string[],
  ) {
    super({ dmaapUrl });
  }
  override config(): Record<string, unknown> {
    const c = super.config();
    return {
      ...c,
      kafka: {
        brokers: this.brokers,
        retryInitialMs: 50,
        retryMaxMs: 500,
        requestTimeoutMs: 2000,
        connectionTimeoutMs: 1000,
      },
      subscriptions: [
        { id: `${this.vimId}-dmaap`, vimId: this.vimId, states: ['*'], topic: this.topic, sink: 'dmaap' },
        { id: `${this.vimId}-kafka`, vimId: this.vimId, states: ['*'], topic: this.kafkaTopic, sink: 'kafka' },
      ],
    };
  }
}

let dmaap: DmaapDevProcess;
let relay: KafkaRelay;

beforeAll(async () => {
  dmaap = await startDmaapDevProcess(await freePort());
});
afterAll(async () => {
  await dmaap?.stop();
});
afterEach(async () => {
  await relay?.cleanup();
});

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('the daemon publishing to the Kafka under test', () => {
  let kafka: KafkaUnderTest;
  beforeAll(async () => {
    kafka = await startKafkaUnderTest();
  }, 240_000);
  afterAll(async () => {
    await kafka?.stop();
  }, 60_000);
  beforeEach(async () => {
    relay = new KafkaRelay(dmaap.url, kafka.brokers);
    await kafka.createTopic(relay.kafkaTopic, 3);
  });
  const kafkaIds = async (): Promise<string[]> =>
    (await kafka.records(relay.kafkaTopic)).map((r) => r.headers.message_id?.toString() ?? '');

  it('mixed DMaaP and Kafka subscriptions: each topic gets every message, the Kafka record byte for byte with key and headers', async () => {
    await relay.start();
    const sent = ids('mixed', 20);
    await relay.publish(sent);
    const fromDmaap = await consume(dmaap.url, relay.topic, sent.length);
    await relay.untilDrained();
    const records = await kafka.records(relay.kafkaTopic);
    expect(records).toHaveLength(sent.length);
    for (const r of records) {
      const value = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
      expect(fromDmaap.find((m) => m.message_id === value.message_id)).toEqual(value);
      expect(r.key?.toString()).toBe(value.instance_id);
      expect(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()]))).toEqual({
        message_id: value.message_id,
        vim_id: relay.vimId,
        event: value.event,
        'content-type': 'application/json',
      });
    }
  });

  it('SIGKILL mid-stream loses nothing', async () => {
    await relay.start();
    const sent = ids('kill', 300);
    const publishing = relay.publishSteadily(sent, 200);
    await new Promise((r) => setTimeout(r, 600));
    relay.daemon.signal('SIGKILL');
    await relay.daemon.exited;
    const confirmed = await publishing;
    await relay.spawn();
    await relay.untilDrained(60000);
    const got = new Set(await kafkaIds());
    expect(confirmed.filter((id) => !got.has(id))).toEqual([]);
  });
});

describe('the daemon publishing to Kafka under faults (mock cluster)', () => {
  let mock: MockKafka;
  beforeAll(async () => {
    mock = await MockKafka.start(3);
  });
  afterAll(async () => {
    await mock?.stop();
  });
  beforeEach(async () => {
    relay = new KafkaRelay(dmaap.url, mock.brokers);
    await mock.createTopic(relay.kafkaTopic, 3);
  });
  afterEach(async () => {
    await mock.command('up -1');
  });
  const kafkaIds = async (): Promise<string[]> =>
    (await mock.dump(relay.kafkaTopic)).map((r) => r.headers.message_id?.toString() ?? '');

  it('acks a notification only when both destinations accepted it: Kafka down holds it, Kafka back releases it', async () => {
    await relay.start();
    await mock.command('down -1');
    const sent = ids('held', 5);
    await relay.publish(sent);
    await consume(dmaap.url, relay.topic, sent.length);
    await waitFor(async () => (await relay.inFlight()) === sent.length, 'the notifications held unacked');
    expect((await relay.get('/readyz?strict=1')).status).toBe(503);
    await mock.command('up -1');
    await relay.untilDrained();
    expect((await kafkaIds()).sort()).toEqual([...sent].sort());
  });

  it('dead-letters a notification Kafka refuses (TOPIC_AUTHORIZATION_FAILED) with a reason naming the topic', async () => {
    await relay.start();
    await relay.publish(['warm-up']);
    await relay.untilDrained();
    await mock.failRequests(API.Produce, KERR.TOPIC_AUTHORIZATION_FAILED, 1);
    await relay.publish(['refused']);
    const dead = await waitFor(
      () => withChannel(async (ch) => ch.get(relay.dlq, { noAck: true })),
      'the dead-lettered copy',
    );
    const reason = String(dead.properties.headers?.['x-relay-reason'] ?? '');
    expect(dead.properties.headers?.['x-relay-reason-code']).toBe('KAFKA_REJECTED');
    expect(reason).toContain(relay.kafkaTopic);
    expect(reason).toContain('TOPIC_AUTHORIZATION_FAILED');
  });
});
