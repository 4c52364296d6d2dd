/**
 * The Kafka client behind KafkaDestination (kafkajs): a producer for records and an admin client
 * for a topic's partition count. The destination owns every retry and every ordering decision,
 * so the client is told never to retry on its own (retries: 0): a request either answers or
 * throws, and the destination knows exactly which records each request carried.
 */
import { readFileSync } from 'node:fs';
import kafkajs, { type Admin, type Producer, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../../util/logger.js';
import { explainLogin } from './classify.js';
import { buildTls, type ResolvedKafkaOptions } from './options.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

export interface ProducedRecord {
  readonly key?: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

export interface KafkaClient {
  connect(): Promise<void>;
  /** The topic's partition count, from a fresh Metadata request. */
  partitionsOf(topic: string): Promise<number>;
  /** One produce request for one partition, acks=all; resolves when the broker acknowledged it. */
  produce(topic: string, partition: number, records: readonly ProducedRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function clientConfig(
  o: ResolvedKafkaOptions,
  log: Logger,
  readFile: (path: string) => Buffer = readFileSync,
): KafkaConfig {
  const ssl = buildTls(o.ssl, readFile);
  const cfg: KafkaConfig = {
    clientId: o.clientId,
    brokers: [...o.brokers],
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    enforceRequestTimeout: true,
    retry: { retries: 0 },
    // The client's own lines go to debug: the destination logs outages once (OutageTracker),
    // where kafkajs would log every failed request at error. Below debug they are not even built
    // (kafkajs builds a debug line for every request).
    logLevel: log.isDebugEnabled() ? logLevel.DEBUG : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      log.debug(`kafkajs ${entry.namespace}: ${message}`, { kafkajs: rest });
    },
  };
  if (ssl !== false) cfg.ssl = ssl;
  if (o.sasl)
    cfg.sasl = {
      mechanism: o.sasl.mechanism,
      username: o.sasl.username,
      password: o.sasl.password,
    } as KafkaConfig['sasl'];
  return cfg;
}

export class KafkajsClient implements KafkaClient {
  private readonly producer: Producer;
  private readonly admin: Admin;
  private connecting?: Promise<void>;

  constructor(
    private readonly o: ResolvedKafkaOptions,
    log: Logger,
  ) {
    const kafka = new Kafka(clientConfig(o, log));
    this.producer = kafka.producer({
      // Without idempotence (kafkajs' fails against some brokers, and Strimzi users may lack the
      // IdempotentWrite ACL), order per partition comes from the destination's one request in
      // flight per partition, not from producer sequence numbers.
      idempotent: false,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 0 },
    });
    this.admin = kafka.admin({ retry: { retries: 0 } });
  }

  connect(): Promise<void> {
    this.connecting ??= Promise.all([this.producer.connect(), this.admin.connect()]).then(
      () => undefined,
      (err: unknown) => {
        this.connecting = undefined;
        return this.explainLogin(err);
      },
    );
    return this.connecting;
  }

  async partitionsOf(topic: string): Promise<number> {
    await this.connect();
    const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return md.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  }

  async produce(topic: string, partition: number, records: readonly ProducedRecord[]): Promise<void> {
    await this.connect();
    await this.producer.send({
      topic,
      acks: -1,
      timeout: this.o.requestTimeoutMs,
      messages: records.map((r) => ({ partition, key: r.key ?? null, value: r.value, headers: r.headers })),
    });
  }

  /** A connect that failed as a refused SASL login is said as one (classify.ts explainLogin); anything else as it is. */
  private explainLogin(e: unknown): never {
    const sasl = this.o.sasl;
    throw (
      (sasl && explainLogin(e, { mechanism: sasl.mechanism, username: sasl.username, brokers: this.o.brokers })) || e
    );
  }

  async disconnect(): Promise<void> {
    // A connect still under way would open its sockets after the disconnect and hold the process
    // open: let it finish (it is bounded by connectionTimeoutMs), then close everything.
    await this.connecting?.catch(() => undefined);
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
