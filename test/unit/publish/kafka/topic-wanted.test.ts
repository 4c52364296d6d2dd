/** Which topics the live subscriptions still send to on Kafka (what the relay gives KafkaDestination). */
import { kafkaTopicWanted } from '../../../../src/publish/kafka/config.js';

describe('kafkaTopicWanted', () => {
  const subs = [
    { topic: 'A', sink: 'kafka' as const },
    { topic: 'B', sink: 'dmaap' as const },
    { topic: 'C' }, // the default sink
  ];

  it('wants a topic a Kafka subscription names, explicitly or by the default sink', () => {
    const wanted = kafkaTopicWanted(() => subs, 'kafka');
    expect(['A', 'B', 'C', 'D'].map(wanted)).toEqual([true, false, true, false]);
  });

  it('a subscription without a sink is not Kafka when the default is dmaap', () => {
    expect(kafkaTopicWanted(() => subs, 'dmaap')('C')).toBe(false);
  });

  it('reads the subscriptions at each call (a deleted subscription stops counting at once)', () => {
    let live = [...subs];
    const wanted = kafkaTopicWanted(() => live, 'dmaap');
    expect(wanted('A')).toBe(true);
    live = live.filter((s) => s.topic !== 'A');
    expect(wanted('A')).toBe(false);
  });

  it('before the store is open (no subscriptions to ask) every topic is wanted', () => {
    expect(kafkaTopicWanted(() => undefined, 'dmaap')('X')).toBe(true);
  });
});
