/** What a subscription PUT is told about its Kafka topic (the lookup itself is tested on a real broker). */
import { topicProblem } from '../../../../src/publish/kafka/topic-check.js';

const brokers = ['k1:9092', 'k2:9092'];
const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
  name: 'KafkaJSProtocolError',
  type: 'UNKNOWN_TOPIC_OR_PARTITION',
  code: 3,
  retriable: true,
});

describe('topicProblem', () => {
  it('none when the topic has partitions', async () => {
    expect(await topicProblem({ partitionsOf: async () => 3 }, 'T', brokers, 1000)).toBeUndefined();
  });

  it('a missing topic is named, with the brokers and what happens to its records', async () => {
    const p = await topicProblem({ partitionsOf: () => Promise.reject(unknownTopic) }, 'T', brokers, 1000);
    expect(p).toBe(
      'kafka topic "T" does not exist on k1:9092, k2:9092: its records will wait (retried) until it is created (a KafkaTopic), or kafka.maxRetryMs passes',
    );
  });

  it('no answer within the deadline: could not check, and why', async () => {
    const p = await topicProblem({ partitionsOf: () => new Promise<number>(() => undefined) }, 'T', brokers, 50);
    expect(p).toBe('could not check kafka topic "T" on k1:9092, k2:9092: no answer in 50 ms');
  });
});
