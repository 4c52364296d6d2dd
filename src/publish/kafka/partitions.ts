/**
 * Which partition a record goes to, decided before it is sent (so the destination can keep one
 * request in flight per partition): Kafka's default partitioner, murmur2 of the key modulo the
 * partition count, the same as the Java client's, so a VM's records land where any other Kafka
 * producer would put them. Keyless records are spread round robin. Pure apart from that counter.
 */
import kafkajs from 'kafkajs';

const { Partitioners } = kafkajs;

export type PartitionFor = (topic: string, key: string | undefined, partitionCount: number) => number;

export function defaultPartitioner(): PartitionFor {
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = new Map<number, { partitionId: number; leader: number }[]>();
  return (topic, key, partitionCount) => {
    let partitionMetadata = metadata.get(partitionCount);
    if (!partitionMetadata) {
      partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({ partitionId, leader: 0 }));
      metadata.set(partitionCount, partitionMetadata);
    }
    return partitioner({
      topic,
      partitionMetadata: partitionMetadata as never,
      message: { key: key ?? null, value: null },
    });
  };
}
