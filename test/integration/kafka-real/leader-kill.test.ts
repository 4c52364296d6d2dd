/**
 * A partition leader SIGKILLed under steady load, on a real three-node Kafka cluster (KRaft, each
 * node broker and controller; replication factor 3, min.insync.replicas=2, acks=all): every
 * record the destination acknowledged is in the topic, in order per key, and duplicates (a
 * request whose answer died with the leader, sent again) are counted and bounded by what was in
 * flight when the leader died.
 */
import { KafkaDestination } from '../../../src/publish/kafka/destination.js';
import { silentLogger } from '../../../src/util/logger.js';
import { startRealKafka, type RealKafka } from '../../helpers/kafka-real.js';
import { testRecord } from '../../helpers/kafka-under-test.js';
import { waitFor } from '../../helpers/wait.js';

let kafka: RealKafka;

beforeAll(async () => {
  kafka = await startRealKafka({ nodes: 3, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(
    `kafka under test: Apache Kafka ${kafka.version}, 3 nodes, up in ${Math.round(kafka.startupMs)} ms\n`,
  );
}, 600_000);
afterAll(async () => {
  await kafka?.stop();
}, 60_000);

const seqOf = (value: Buffer) => (JSON.parse(value.toString('utf8')) as { seq: number }).seq;

describe('KafkaDestination when the partition leader is SIGKILLed (3 nodes, acks=all, min.insync.replicas=2)', () => {
  it('loses nothing acknowledged, keeps each key in order, and counts its duplicates', async () => {
    const topic = 'relay.real.leader-kill';
    await kafka.createTopic(topic, 1, 3);
    const d = new KafkaDestination(
      {
        brokers: kafka.brokers,
        retryInitialMs: 50,
        retryMaxMs: 500,
        requestTimeoutMs: 5000,
        connectionTimeoutMs: 2000,
      },
      silentLogger(),
    );
    const vms = ['vm-a', 'vm-b', 'vm-c', 'vm-d'];
    const acked = new Set<string>();
    let stop = false;
    let sent = 0;
    // Steady load: each VM sends its next record when the previous one is acknowledged.
    const loops = vms.map(async (vm) => {
      for (let n = 0; !stop; n++) {
        sent++;
        await d.send(testRecord(topic, vm, n));
        acked.add(`${vm}-${n}`);
      }
    });
    await waitFor(() => acked.size >= 200, '200 records acknowledged before the kill', 30_000);
    const leader = await kafka.leaderOf(topic, 0);
    const before = acked.size;
    await kafka.kill(leader);
    const killedAt = acked.size;
    await waitFor(() => acked.size >= killedAt + 200, '200 more records acknowledged after the kill', 60_000);
    expect(await kafka.leaderOf(topic, 0)).not.toBe(leader);
    stop = true;
    await Promise.all(loops);
    await d.close(5000);

    const got = await kafka.records(topic);
    const ids = got.map((r) => r.headers.message_id.toString());
    const missing = [...acked].filter((id) => !ids.includes(id));
    expect(missing).toEqual([]);
    const duplicates = ids.length - new Set(ids).size;
    process.stderr.write(
      `leader ${leader} killed after ${before} acks; ${acked.size} acknowledged of ${sent} sent, ${got.length} in the topic, ${duplicates} duplicate(s)\n`,
    );
    // At most what was in flight at the kill: one request per VM (one record each, steady load).
    expect(duplicates).toBeLessThanOrEqual(vms.length);
    for (const vm of vms) {
      const seqs = got.filter((r) => r.key?.toString() === vm).map((r) => seqOf(r.value));
      // In order: a duplicate may repeat the last record sent, never go back further.
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThanOrEqual(seqs[i - 1]);
    }
  }, 180_000);
});
