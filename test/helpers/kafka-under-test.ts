/**
 * The Kafka the tests without fault injection publish to: a real Apache Kafka (one KRaft node in a
 * container, started with testcontainers) where a Docker engine answers, else librdkafka's mock
 * cluster (test/helpers/kafka-mock.ts). KAFKA_TEST_BACKEND=mock or =docker forces either; empty
 * (the default) decides by asking the Docker engine. Records are read back with a consumer: the
 * mock's own (librdkafka) on the mock, a kafkajs consumer on the real one.
 *
 * Tests that inject faults (brokers down, a Produce answered with an error) use MockKafka itself:
 * a real broker cannot be told to fail the next request.
 *
 * testcontainers is imported only for the Docker backend: on Node 20 it cannot even be loaded (its
 * undici wants Node 22), which the automatic choice reports and falls back from.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import kafkajs, { type IHeaders } from 'kafkajs';
import type { StartedTestContainer } from 'testcontainers';
import { freePort } from './daemon.js';
import { MockKafka, type DumpedRecord } from './kafka-mock.js';
import type { OutboundRecord } from '../../src/publish/destination.js';

export type KafkaBackend = 'mock' | 'docker';
export const BACKEND_ENV = 'KAFKA_TEST_BACKEND';
/** The image of the Docker backend (KAFKA_TEST_IMAGE overrides it): Apache Kafka's own, KRaft. */
export const KAFKA_IMAGE = process.env.KAFKA_TEST_IMAGE || 'apache/kafka:3.9.1';

export interface KafkaUnderTest {
  readonly backend: KafkaBackend;
  /** host:port of the bootstrap brokers, as kafka.brokers takes them. */
  readonly brokers: string[];
  createTopic(topic: string, partitions?: number): Promise<void>;
  /** Every record of the topic, ordered by partition and offset. */
  records(topic: string): Promise<DumpedRecord[]>;
  stop(): Promise<void>;
}

export interface BackendChoice {
  readonly backend: KafkaBackend;
  readonly why: string;
}

/**
 * Which backend: `requested` is KAFKA_TEST_BACKEND; `dockerProblem` says why the Docker backend
 * cannot run here (undefined: it can). Forced "docker" does not ask: testcontainers finds the
 * engine its own way (and says so if it cannot), so an engine the probe does not know still works.
 */
export async function chooseKafkaBackend(
  requested: string | undefined,
  dockerProblem: () => Promise<string | undefined>,
): Promise<BackendChoice> {
  const r = (requested ?? '').trim();
  if (r === 'mock') return { backend: 'mock', why: `${BACKEND_ENV}=mock` };
  if (r === 'docker') return { backend: 'docker', why: `${BACKEND_ENV}=docker` };
  if (r !== '')
    throw new Error(`${BACKEND_ENV} must be "mock", "docker" or empty (use Docker when it answers), got "${r}"`);
  const problem = await dockerProblem();
  return problem === undefined
    ? { backend: 'docker', why: 'a Docker engine answers' }
    : { backend: 'mock', why: problem };
}

export type DockerEndpoint = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/** Where a Docker engine would answer, from DOCKER_HOST or the usual sockets; a string says why none can be asked. */
export function dockerEndpoints(env: NodeJS.ProcessEnv, home = os.homedir()): DockerEndpoint[] | string {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (!dockerHost) {
    const sockets = ['/var/run/docker.sock'];
    if (env.XDG_RUNTIME_DIR) sockets.push(path.join(env.XDG_RUNTIME_DIR, 'docker.sock')); // rootless
    sockets.push(path.join(home, '.docker/run/docker.sock')); // Docker Desktop
    return sockets.map((socketPath) => ({ socketPath }));
  }
  if (dockerHost.startsWith('unix://')) return [{ socketPath: dockerHost.slice('unix://'.length) }];
  const m = /^tcp:\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(dockerHost);
  if (!m) return `DOCKER_HOST=${dockerHost} is neither unix:// nor tcp://host:port`;
  if (env.DOCKER_TLS_VERIFY)
    return `DOCKER_HOST=${dockerHost} wants TLS (DOCKER_TLS_VERIFY), which this probe does not speak; set ${BACKEND_ENV}=docker to use it`;
  return [{ host: m[1], port: m[2] ? Number(m[2]) : 2375 }];
}

/** Asks one endpoint GET /_ping; undefined when the engine answered "OK", else what happened. */
export function pingDocker(endpoint: DockerEndpoint, timeoutMs = 1500): Promise<string | undefined> {
  const where = 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve) => {
    const req = http.get({ ...endpoint, path: '/_ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve(res.statusCode === 200 && body.trim() === 'OK' ? undefined : `${where}: HTTP ${res.statusCode}`),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`${where}: ${e.code ?? e.message}`));
  });
}

/** Why the Docker backend cannot run here, or undefined: an engine answers and testcontainers loads. */
export async function dockerProblem(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const endpoints = dockerEndpoints(env);
  if (typeof endpoints === 'string') return endpoints;
  const tried: string[] = [];
  let answered = false;
  for (const endpoint of endpoints) {
    const problem = await pingDocker(endpoint);
    if (problem === undefined) {
      answered = true;
      break;
    }
    tried.push(problem);
  }
  if (!answered) return `no Docker engine answers (${tried.join('; ')})`;
  try {
    await import('testcontainers');
  } catch (e) {
    return `a Docker engine answers, but testcontainers cannot be loaded on Node ${process.version}: ${(e as Error).message}`;
  }
  return undefined;
}

/** The Kafka container's listeners: clients on 9092 (published as hostPort), the broker itself and its controller inside. */
export const CONTAINER_PORT = 9092;

/**
 * The apache/kafka image's settings (each KAFKA_* variable is a server.properties key) for one
 * node that is broker and controller; clients are told to come back at advertisedHost:hostPort.
 */
export function kafkaContainerEnv(advertisedHost: string, hostPort: number): Record<string, string> {
  return {
    CLUSTER_ID: 'dmVyLWthZmthLXRlc3RzMQ',
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `CLIENT://:${CONTAINER_PORT},BROKER://:19092,CONTROLLER://:29093`,
    KAFKA_ADVERTISED_LISTENERS: `CLIENT://${advertisedHost}:${hostPort},BROKER://localhost:19092`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CLIENT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:29093',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    // As on ONAP (the relay's KafkaUser has no Create right): a topic exists because a test made it.
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
  };
}

const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function headerBuffers(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[name] = asBuffer(Array.isArray(v) ? (v.at(-1) as Buffer | string) : v);
  }
  return out;
}

/**
 * Every record of `topic` with a kafkajs consumer (its own group, from the beginning, until each
 * partition's high watermark of the moment it started): the reader of the Docker backend.
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  timeoutMs = 30_000,
): Promise<DumpedRecord[]> {
  const kafka = new kafkajs.Kafka({
    brokers: [...brokers],
    clientId: 'kafka-under-test-reader',
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(
    ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]),
  );
  const out: DumpedRecord[] = [];
  if (remaining.size > 0) {
    const consumer = kafka.consumer({ groupId: `kafka-under-test-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `read ${out.length} records of ${topic} in ${timeoutMs} ms; partitions not read to the end: ${[...remaining.keys()].join(', ')}`,
              ),
            ),
          timeoutMs,
        );
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const offset = Number(message.offset);
              const end = remaining.get(partition);
              if (end === undefined || offset >= end) return; // written after the read began
              out.push({
                partition,
                offset,
                key: message.key ?? undefined,
                value: message.value ?? Buffer.alloc(0),
                headers: headerBuffers(message.headers),
              });
              if (offset + 1 >= end) remaining.delete(partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function mockUnderTest(): Promise<KafkaUnderTest> {
  const mock = await MockKafka.start(3);
  return {
    backend: 'mock',
    brokers: mock.brokers,
    createTopic: async (topic, partitions = 3) => void (await mock.createTopic(topic, partitions)),
    records: async (topic) => (await mock.dump(topic)).sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    stop: () => mock.stop(),
  };
}

async function dockerUnderTest(): Promise<KafkaUnderTest> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers').catch((e: Error) => {
    throw new Error(
      `the Docker backend needs testcontainers, which cannot be loaded on Node ${process.version}: ${e.message}`,
    );
  });
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  // A fixed host port: Kafka must advertise the address clients reach, known before it starts.
  const hostPort = await freePort();
  const container: StartedTestContainer = await new GenericContainer(KAFKA_IMAGE)
    .withEnvironment(kafkaContainerEnv(host, hostPort))
    .withExposedPorts({ container: CONTAINER_PORT, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  const brokers = [`${host}:${hostPort}`];
  const admin = new kafkajs.Kafka({
    brokers,
    clientId: 'kafka-under-test-admin',
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  return {
    backend: 'docker',
    brokers,
    createTopic: async (topic, partitions = 3) => {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    },
    records: (topic) => readTopic(brokers, topic),
    stop: async () => {
      await admin.disconnect();
      await container.stop();
    },
  };
}

/** Starts the Kafka under test (see the file's comment), saying on stderr which one and why. */
export async function startKafkaUnderTest(): Promise<KafkaUnderTest> {
  const choice = await chooseKafkaBackend(process.env[BACKEND_ENV], () => dockerProblem());
  process.stderr.write(
    `kafka under test: ${choice.backend === 'docker' ? KAFKA_IMAGE : 'librdkafka mock cluster'} (${choice.why})\n`,
  );
  return choice.backend === 'docker' ? dockerUnderTest() : mockUnderTest();
}

/** Record `n` of VM `vm` (its key), as the Kafka tests send them: a non-ASCII note, the relay's headers. */
export const testRecord = (topic: string, vm: string, n: number, extra = ''): OutboundRecord => ({
  topic,
  key: vm,
  json: JSON.stringify({ instance_id: vm, seq: n, note: `é ${extra}` }),
  headers: { message_id: `${vm}-${n}`, vim_id: 'vim-1', event: 'compute.instance.update' },
});
