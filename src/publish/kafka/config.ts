/**
 * From the relay's kafka.* config to KafkaDestination's options, the checks a schema cannot make
 * (keys that go together), the literal secrets the logger must mask, and which topics the live
 * subscriptions still send to on Kafka. Pure.
 */
import type { Subscription } from '../../model/subscription.js';
import type { DestinationHooks, SinkName } from '../destination.js';
import { resolveSasl, sslProblems, type KafkaDestinationOptions, type SaslMechanism } from './options.js';

/** The `kafka` block of the relay's config (src/config/schema.ts). */
export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  sasl: { mechanism: SaslMechanism; username: string; password: string; jaasConfig: string };
  ssl: { enabled: boolean; caFile: string; certFile: string; keyFile: string };
  batchMaxMessages: number;
  batchMaxBytes: number;
  lingerMs: number;
  maxInFlightRequests: number;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  maxRetryMs: number;
}

export function kafkaDestinationOptions(
  cfg: KafkaConfig,
  hooks?: DestinationHooks,
  isTopicWanted?: (topic: string) => boolean,
): KafkaDestinationOptions {
  const { brokers, clientId, sasl, ssl, ...tuning } = cfg;
  return { brokers, clientId, sasl: { ...sasl }, ssl: { ...ssl }, ...tuning, hooks, isTopicWanted };
}

/**
 * Whether any of `subscriptions` (read live: the admin API changes them) sends to `topic` on
 * Kafka, a subscription without a sink taking `defaultSink`. Before the store is open there are
 * none to ask, and every topic counts as wanted.
 */
export function kafkaTopicWanted(
  subscriptions: () => readonly Pick<Subscription, 'topic' | 'sink'>[] | undefined,
  defaultSink: SinkName,
): (topic: string) => boolean {
  return (topic) => {
    const subs = subscriptions();
    return subs === undefined || subs.some((s) => s.topic === topic && (s.sink ?? defaultSink) === 'kafka');
  };
}

/** What is wrong with the block as a whole, one problem a line, each naming the key. */
export function kafkaConfigProblems(cfg: KafkaConfig): string[] {
  const problems = sslProblems(cfg.ssl);
  try {
    resolveSasl(cfg.sasl);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}

/** The password, however it was given (a JAAS text holds one): masked in every log line. */
export function kafkaSecrets(cfg: KafkaConfig): string[] {
  const out = [cfg.sasl.password, cfg.sasl.jaasConfig];
  try {
    const sasl = resolveSasl(cfg.sasl);
    if (sasl) out.push(sasl.password);
  } catch {
    // A block that does not resolve stops the daemon at load; nothing to mask then.
  }
  return [...new Set(out.filter((s) => s.length > 0))];
}
