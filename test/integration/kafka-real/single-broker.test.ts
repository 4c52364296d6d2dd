/**
 * KafkaDestination against a real Apache Kafka (test/helpers/kafka-real.ts; KAFKA_VERSION picks
 * the release) with Strimzi's listeners and ACLs: the relay authenticates as User:relay, which
 * may Write and Describe the topics granted to it and nothing else. Records are read back by a
 * consumer on the plaintext listener (a super user), not by the producer under test.
 */
import { randomUUID } from 'node:crypto';
import { KafkaDestination } from '../../../src/publish/kafka/destination.js';
import type { KafkaDestinationOptions } from '../../../src/publish/kafka/options.js';
import { isRelayError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/util/logger.js';
import { startRealKafka, RELAY_USER, type RealKafka } from '../../helpers/kafka-real.js';
import { testRecord } from '../../helpers/kafka-under-test.js';
import { waitFor } from '../../helpers/wait.js';

let kafka: RealKafka;
const destinations: KafkaDestination[] = [];

beforeAll(async () => {
  kafka = await startRealKafka({ log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(
    `kafka under test: Apache Kafka ${kafka.version} (jars), up in ${Math.round(kafka.startupMs)} ms\n`,
  );
}, 600_000);
afterAll(async () => {
  await kafka?.stop();
}, 60_000);
afterEach(async () => {
  await Promise.all(destinations.splice(0).map((d) => d.close(0)));
});

const topicName = () => `relay.real.${randomUUID().slice(0, 8)}`;

async function grantedTopic(partitions = 3): Promise<string> {
  const topic = topicName();
  await kafka.createTopic(topic, partitions);
  await kafka.grantRelay(topic);
  return topic;
}

const scram = (password = kafka.relayPassword, user = RELAY_USER) => ({
  mechanism: 'scram-sha-512' as const,
  jaasConfig: `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
});

function destination(opts: Partial<KafkaDestinationOptions>): KafkaDestination {
  const d = new KafkaDestination(
    { brokers: kafka.scram, retryInitialMs: 20, retryMaxMs: 300, connectionTimeoutMs: 5000, ...opts },
    silentLogger(),
  );
  destinations.push(d);
  return d;
}

const text = (headers: Record<string, Buffer>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.toString('utf8')]));

/** The error a send was settled with (it must not resolve). */
async function refusal(p: Promise<void>): Promise<{ code: string; message: string }> {
  const e: unknown = await p.then(
    () => new Error('the send was accepted'),
    (err: unknown) => err,
  );
  if (!isRelayError(e)) throw e;
  return { code: e.code, message: e.message };
}

describe(`KafkaDestination on a real Kafka broker (SCRAM-SHA-512, TLS, mutual TLS, ACLs)`, () => {
  it('writes every field over SCRAM-SHA-512: value byte for byte, key = instance_id, headers, order per VM', async () => {
    const topic = await grantedTopic(4);
    const d = destination({ sasl: scram(), batchMaxMessages: 7, maxInFlightRequests: 3, lingerMs: 1 });
    const vms = Array.from({ length: 10 }, (_, i) => `vm-${i}`);
    const sends: Promise<void>[] = [d.send(testRecord(topic, 'vm-x', 0, '\u2603 "quoted"'))];
    for (let n = 0; n < 30; n++) for (const vm of vms) sends.push(d.send(testRecord(topic, vm, n)));
    await Promise.all(sends);
    expect(d.pending()).toBe(0);
    const got = await kafka.records(topic);
    expect(got).toHaveLength(1 + vms.length * 30);
    const odd = got.find((r) => r.key?.toString() === 'vm-x');
    expect(odd?.value.equals(Buffer.from(testRecord(topic, 'vm-x', 0, '\u2603 "quoted"').json, 'utf8'))).toBe(true);
    expect(text(odd?.headers ?? {})).toEqual({
      message_id: 'vm-x-0',
      vim_id: 'vim-1',
      event: 'compute.instance.update',
      'content-type': 'application/json',
    });
    for (const vm of vms) {
      const mine = got.filter((r) => r.key?.toString() === vm);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => (JSON.parse(r.value.toString('utf8')) as { seq: number }).seq)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
    }
    expect(d.health().ok).toBe(true);
  });

  it('publishes with SCRAM-SHA-512 over TLS, trusting the cluster CA file', async () => {
    const topic = await grantedTopic();
    const d = destination({
      brokers: kafka.scramTls,
      sasl: scram(),
      ssl: { enabled: true, caFile: kafka.certs?.caFile },
    });
    await Promise.all([1, 2, 3].map((n) => d.send(testRecord(topic, 'vm-tls', n))));
    expect((await kafka.records(topic)).map((r) => r.headers.message_id.toString())).toEqual([
      'vm-tls-1',
      'vm-tls-2',
      'vm-tls-3',
    ]);
  });

  it('publishes over mutual TLS as the certificate user (CN=relay), without SASL', async () => {
    const topic = await grantedTopic();
    const certs = kafka.certs;
    const d = destination({
      brokers: kafka.mtls,
      ssl: { enabled: true, caFile: certs?.caFile, certFile: certs?.clientCertFile, keyFile: certs?.clientKeyFile },
    });
    await d.send(testRecord(topic, 'vm-mtls', 1));
    const got = await kafka.records(topic);
    expect(got.map((r) => r.key?.toString())).toEqual(['vm-mtls']);
  });

  it.each([
    ['a wrong password', () => scram('not-the-password')],
    ['an unknown user', () => scram(kafka.relayPassword, 'nobody')],
  ])(
    'with %s: retried, unready with a reason naming the mechanism and the brokers, never the password',
    async (_, sasl) => {
      const topic = await grantedTopic();
      const given = sasl();
      const d = destination({ sasl: given });
      let settled = false;
      const outcome = refusal(d.send(testRecord(topic, 'vm-auth', 1)).finally(() => (settled = true)));
      const health = await waitFor(() => (d.health().ok ? undefined : d.health()), 'the destination to turn unready');
      // Refused in words, or (Kafka may close the connection instead of answering) closed while logging in.
      expect(health.reason).toMatch(/SASL SCRAM-SHA-512 login as .*(refused by|to) /);
      expect(health.reason).toContain(kafka.scram[0]);
      expect(health.reason).toContain(`"${given.jaasConfig.match(/username="([^"]+)"/)?.[1]}"`);
      expect(health.reason).not.toContain(kafka.relayPassword);
      expect(health.reason).not.toContain('not-the-password');
      expect(settled).toBe(false); // not the record's fault: kept, not dead-lettered
      await d.close(0);
      expect((await outcome).code).toBe('PUBLISHER_CLOSED');
    },
  );

  it('refuses a topic the ACLs do not grant with KAFKA_REJECTED, naming the topic; readiness stays', async () => {
    const topic = topicName();
    await kafka.createTopic(topic, 1);
    const d = destination({ sasl: scram() });
    const r = await refusal(d.send(testRecord(topic, 'vm-acl', 1)));
    expect(r.code).toBe('KAFKA_REJECTED');
    expect(r.message).toContain(`"${topic}"`);
    expect(r.message).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(d.health().ok).toBe(true);
  });

  it('refuses a topic the user may describe but not write with KAFKA_REJECTED from the produce request', async () => {
    const topic = topicName();
    await kafka.createTopic(topic, 1);
    await kafka.grantRelay(topic, ['Describe']);
    const d = destination({ sasl: scram() });
    const r = await refusal(d.send(testRecord(topic, 'vm-ro', 1)));
    expect(r.code).toBe('KAFKA_REJECTED');
    expect(r.message).toContain(`topic "${topic}" (partition 0)`);
    expect(r.message).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(d.health().ok).toBe(true);
  });

  it('a topic that does not exist: retried (a KafkaTopic may be on its way), then KAFKA_RETRY_EXPIRED naming the topic', async () => {
    const topic = topicName();
    await kafka.grantRelay(topic); // Describe granted: the broker answers that it does not exist
    const d = destination({ sasl: scram(), maxRetryMs: 1500 });
    const r = await refusal(d.send(testRecord(topic, 'vm-none', 1)));
    expect(r.code).toBe('KAFKA_RETRY_EXPIRED');
    expect(r.message).toContain(`"${topic}"`);
    expect(r.message).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('settles what waits for a missing topic once no subscription names it (KAFKA_TOPIC_UNREFERENCED), and is ready again', async () => {
    const topic = topicName();
    await kafka.grantRelay(topic);
    let wanted = true; // the subscription exists
    const d = destination({ sasl: scram(), isTopicWanted: (t) => t !== topic || wanted });
    const outcome = refusal(d.send(testRecord(topic, 'vm-gone', 1)));
    await waitFor(() => !d.health().ok, 'the destination to turn unready while the topic is missing');
    expect(d.pending()).toBe(1);
    wanted = false; // the subscription was deleted
    const r = await outcome;
    expect(r.code).toBe('KAFKA_TOPIC_UNREFERENCED');
    expect(r.message).toContain(`"${topic}"`);
    expect(d.pending()).toBe(0);
    expect(d.health().ok).toBe(true);
  });
});
