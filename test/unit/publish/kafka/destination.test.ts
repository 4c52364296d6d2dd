/**
 * KafkaDestination's lanes with a scripted client (the faults of a real cluster are tested in
 * test/integration/publish/kafka/): what goes out when, and in what order.
 */
import type { KafkaClient, ProducedRecord } from '../../../../src/publish/kafka/client.js';
import { KafkaDestination } from '../../../../src/publish/kafka/destination.js';
import type { RetryEvent } from '../../../../src/publish/destination.js';
import { PassThrough } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../../../src/util/logger.js';
import { waitFor } from '../../../helpers/wait.js';

interface Call {
  topic: string;
  partition: number;
  values: string[];
  settle: (err?: Error) => void;
}

class ScriptedClient implements KafkaClient {
  readonly calls: Call[] = [];
  partitions = 2;
  lookupError?: Error;
  async connect(): Promise<void> {}
  async partitionsOf(): Promise<number> {
    if (this.lookupError) throw this.lookupError;
    return this.partitions;
  }
  produce(topic: string, partition: number, records: readonly ProducedRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        topic,
        partition,
        values: records.map((r) => r.value),
        settle: (err) => (err ? reject(err) : resolve()),
      });
    });
  }
  async disconnect(): Promise<void> {}
}

const notLeader = () =>
  Object.assign(new Error('not leader'), {
    name: 'KafkaJSProtocolError',
    type: 'NOT_LEADER_FOR_PARTITION',
    code: 6,
    retriable: true,
  });

function setup(
  opts: { maxInFlightRequests?: number; batchMaxMessages?: number; isTopicWanted?: (t: string) => boolean } = {},
  log: Logger = silentLogger(),
) {
  const client = new ScriptedClient();
  const retries: RetryEvent[] = [];
  const d = new KafkaDestination(
    {
      brokers: ['k:9092'],
      lingerMs: 0,
      retryInitialMs: 1,
      retryMaxMs: 1,
      ...opts,
      hooks: { onRetry: (e) => retries.push(e) },
    },
    log,
    { client, partitionFor: (_t, key) => Number(key) % 2 },
  );
  return { client, d, retries };
}

const rec = (key: number, seq: number) => ({ topic: 't', key: String(key), json: `${key}:${seq}` });
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

describe('KafkaDestination lanes', () => {
  it('one request in flight per partition, and no more than maxInFlightRequests in all', async () => {
    const { client, d } = setup({ maxInFlightRequests: 1 });
    const sent = [d.send(rec(0, 1)), d.send(rec(1, 1))];
    await waitFor(() => client.calls.length === 1, 'the first request');
    sent.push(d.send(rec(0, 2)));
    await tick(20);
    expect(client.calls).toHaveLength(1); // the one slot is taken
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => client.calls.length === n, `request ${n}`);
      client.calls[n - 1]?.settle();
    }
    await Promise.all(sent);
    const byPartition = (p: number) => client.calls.filter((c) => c.partition === p).flatMap((c) => c.values);
    expect(byPartition(0)).toEqual(['0:1', '0:2']);
    expect(byPartition(1)).toEqual(['1:1']);
    expect(client.calls.map((c) => c.values)).toEqual([['0:1'], ['1:1'], ['0:2']]); // the waiting lane had the slot first
    await d.close(0);
  });

  it('a failed batch goes again before the younger records of its partition, which ride behind it', async () => {
    const { client, d, retries } = setup();
    const first = d.send(rec(0, 1));
    await waitFor(() => client.calls.length === 1, 'the first request');
    const younger = [d.send(rec(0, 2)), d.send(rec(0, 3))];
    await tick();
    expect(client.calls).toHaveLength(1); // nothing overtakes the batch in flight
    client.calls[0]?.settle(notLeader());
    await waitFor(() => client.calls.length === 2, 'the retry');
    expect(client.calls[1]?.values).toEqual(['0:1', '0:2', '0:3']);
    expect(retries).toEqual([expect.objectContaining({ destination: 'kafka', topic: 't', count: 1 })]);
    expect(d.health().ok).toBe(false);
    client.calls[1]?.settle();
    await Promise.all([first, ...younger]);
    expect(d.health().ok).toBe(true);
    await d.close(0);
  });

  it('records wait while the topic cannot be looked up, and go once it can', async () => {
    const { client, d, retries } = setup();
    client.lookupError = Object.assign(new Error('no broker'), { name: 'KafkaJSConnectionError' });
    const sent = d.send(rec(1, 1));
    await waitFor(() => retries.length >= 2, 'lookup retries');
    expect(d.health()).toMatchObject({ ok: false, reason: expect.stringContaining('KafkaJSConnectionError') });
    expect(d.pending()).toBe(1);
    expect(client.calls).toHaveLength(0);
    client.lookupError = undefined;
    await waitFor(() => client.calls.length === 1, 'the request after the lookup');
    client.calls[0]?.settle();
    await sent;
    await d.close(0);
  });

  it('batches a partition up to batchMaxMessages', async () => {
    const { client, d } = setup({ batchMaxMessages: 3 });
    const first = d.send(rec(0, 0));
    await waitFor(() => client.calls.length === 1, 'the first request');
    const rest = Array.from({ length: 7 }, (_, i) => d.send(rec(0, i + 1)));
    client.calls[0]?.settle();
    for (let n = 2; n <= 4; n++) {
      await waitFor(() => client.calls.length === n, `request ${n}`);
      client.calls[n - 1]?.settle();
    }
    await Promise.all([first, ...rest]);
    expect(client.calls.map((c) => c.values.length)).toEqual([1, 3, 3, 1]);
    expect(client.calls.flatMap((c) => c.values)).toEqual(Array.from({ length: 8 }, (_, i) => `0:${i}`));
    await d.close(0);
  });

  it('a partition that recovers wakes the lanes backing off because the cluster was unreachable, once', async () => {
    const client = new ScriptedClient();
    // Lane 0's first backoff is short, every other one about 59 s: only a wake can make them go sooner.
    const jitter = [0.001];
    const d = new KafkaDestination(
      {
        brokers: ['k:9092'],
        lingerMs: 0,
        retryInitialMs: 60_000,
        retryMaxMs: 60_000,
        random: () => jitter.shift() ?? 0.99,
      },
      silentLogger(),
      { client, partitionFor: (_t, key) => Number(key) % 3 },
    );
    const unreachable = () => Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    const callsOf = (p: number) => client.calls.filter((c) => c.partition === p);
    const sent = [0, 1, 2].map((k) => d.send(rec(k, 1)));
    await waitFor(() => client.calls.length === 3, 'one request per partition');
    callsOf(0)[0]?.settle(unreachable());
    callsOf(1)[0]?.settle(unreachable());
    callsOf(2)[0]?.settle(notLeader()); // the partition's own trouble, not the cluster's
    await waitFor(() => callsOf(0).length === 2, "partition 0's retry after its short backoff");
    await tick(20);
    expect(callsOf(1)).toHaveLength(1); // still waiting out its 59 s
    callsOf(0)[1]?.settle(); // partition 0 recovers
    await waitFor(() => callsOf(1).length === 2, 'partition 1 woken by the recovery');
    await tick(20);
    expect(callsOf(2)).toHaveLength(1); // a leaderless partition keeps its timer
    callsOf(1)[1]?.settle(unreachable()); // its broker is still down: it backs off again
    const more = d.send(rec(3, 2)); // partition 0, answered at once: a success, not a recovery
    await waitFor(() => callsOf(0).length === 3, 'the next request of partition 0');
    callsOf(0)[2]?.settle();
    await more;
    await tick(20);
    expect(callsOf(1)).toHaveLength(2); // not woken again: no retry storm against a broker still down
    await sent[0];
    await d.close(0);
    await Promise.allSettled(sent);
  });

  it('stays failing while any partition is, with one warn and one recovery in the log', async () => {
    const stream = new PassThrough();
    const lines: { message: string }[] = [];
    stream.on('data', (b: Buffer) =>
      lines.push(
        ...b
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { message: string }),
      ),
    );
    const { client, d } = setup({}, createLogger({ level: 'info', format: 'json', stream }));
    const held = d.send(rec(0, 1));
    await waitFor(() => client.calls.length === 1, 'the first request');
    client.calls[0]?.settle(notLeader());
    await waitFor(() => client.calls.length === 2, 'the retry of partition 0 (left unanswered)');
    for (let n = 1; n <= 3; n++) {
      const free = d.send(rec(1, n));
      await waitFor(() => client.calls.length === 2 + n, `partition 1 request ${n}`);
      client.calls[1 + n]?.settle();
      await free;
      expect(d.health().ok).toBe(false); // partition 0 has not been answered yet
    }
    client.calls[1]?.settle();
    await held;
    expect(d.health().ok).toBe(true);
    await waitFor(() => lines.some((l) => l.message === 'kafka recovered'), 'the recovery line');
    expect(lines.filter((l) => l.message === 'kafka failing; records are kept and retried')).toHaveLength(1);
    expect(lines.filter((l) => l.message === 'kafka recovered')).toHaveLength(1);
    await d.close(0);
  });

  it('a failing partition whose topic no subscription names any more: its batch and queue are settled, KAFKA_TOPIC_UNREFERENCED', async () => {
    let wanted = true;
    const { client, d } = setup({ batchMaxMessages: 1, isTopicWanted: () => wanted });
    const codes = [d.send(rec(0, 1)), d.send(rec(0, 2))].map((p) =>
      p.then(
        () => 'accepted',
        (e: { code?: string }) => e.code,
      ),
    );
    await waitFor(() => client.calls.length === 1, 'the first request');
    client.calls[0].settle(notLeader());
    await waitFor(() => client.calls.length === 2, 'the retry');
    wanted = false; // the subscription is deleted while the retry is in flight
    client.calls[1].settle(notLeader());
    expect(await Promise.all(codes)).toEqual(['KAFKA_TOPIC_UNREFERENCED', 'KAFKA_TOPIC_UNREFERENCED']);
    expect(d.pending()).toBe(0);
    expect(d.health().ok).toBe(true);
    await tick(20);
    expect(client.calls).toHaveLength(2); // nothing sent again
  });

  it('records waiting for a topic lookup are settled once no subscription names the topic', async () => {
    let wanted = true;
    const { client, d } = setup({ isTopicWanted: () => wanted });
    client.lookupError = Object.assign(new Error('no such topic'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
      retriable: true,
    });
    const code = d.send(rec(0, 1)).then(
      () => 'accepted',
      (e: { code?: string }) => e.code,
    );
    await waitFor(() => !d.health().ok, 'unready while the topic is missing');
    wanted = false;
    expect(await code).toBe('KAFKA_TOPIC_UNREFERENCED');
    expect(d.health().ok).toBe(true);
  });
});
