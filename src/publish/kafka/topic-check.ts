/**
 * Whether a Kafka topic can take records now, from a fresh Metadata request within a deadline:
 * for the admin API's answer to a subscription PUT (a warning; the subscription is stored
 * anyway). Nothing waits on it and nothing is retried.
 */
import { classifyKafkaError } from './classify.js';
import type { KafkaClient } from './client.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** Why records for `topic` would not be delivered now (missing, not describable, no answer); undefined when it exists. */
export async function topicProblem(
  client: Pick<KafkaClient, 'partitionsOf'>,
  topic: string,
  brokers: readonly string[],
  timeoutMs: number,
): Promise<string | undefined> {
  const where = brokers.join(', ');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const count = await Promise.race([client.partitionsOf(topic), deadline]);
    return count > 0 ? undefined : `kafka topic "${topic}" has no partitions on ${where}`;
  } catch (err) {
    const outcome = classifyKafkaError(err);
    if (outcome.code === UNKNOWN_TOPIC_OR_PARTITION)
      return `kafka topic "${topic}" does not exist on ${where}: its records will wait (retried) until it is created (a KafkaTopic), or kafka.maxRetryMs passes`;
    return `could not check kafka topic "${topic}" on ${where}: ${outcome.reason}`;
  } finally {
    clearTimeout(timer);
  }
}
