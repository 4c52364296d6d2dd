/**
 * The same end-to-end cases over both transports, from one table: AMQP 0-9-1 (amqplib; the
 * daemon declares its own queue) and AMQP 1.0 (rhea, RabbitMQ's amqp1_0 plugin; the queue is
 * declared beforehand, as an operator does for /amq/queue/<name>). The built daemon runs as a
 * process; notifications are published as oslo does; DMaaP is dmaap-dev as a process.
 */
import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { amqpUrl, cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import {
  expandVersioned,
  legacySample,
  powerOffV2,
  routingKeyFor,
  toWireV1,
  toWireV2,
  type Sample,
} from '../helpers/fixtures.js';
import { freePort, spawnDaemon, stopDaemon, tempDir, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { queueCounts } from '../helpers/rabbitmqctl.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(180000);

const ROUTING_KEYS = [
  'notifications.info',
  'notifications.error',
  'versioned_notifications.info',
  'versioned_notifications.error',
];
const PREFETCH = 50;

interface Transport {
  name: string;
  /**
   * Most duplicates a SIGKILL may cause. 0-9-1: the broker itself holds at most `prefetch`
   * unacked, so that is the bound. 1.0 on RabbitMQ 3.x: the plugin buffers past our credit and
   * can lose dispositions still in its pipeline on an abrupt disconnect, so acks we sent may
   * not count; measured 5-10 on a quiet machine and 75 under full load with prefetch 50.
   */
  duplicateBound: number;
  /** The VIM entry for the config; may prepare the broker first. */
  vim(id: string, exchange: string, queue: string): Promise<Record<string, unknown>>;
}

const TRANSPORTS: Transport[] = [
  {
    name: 'AMQP 0-9-1',
    duplicateBound: PREFETCH,
    vim: async (id, exchange) => ({ id, transportUrl: rabbitUrl(), exchange }),
  },
  {
    name: 'AMQP 1.0',
    duplicateBound: 2 * PREFETCH,
    vim: async (id, exchange, queue) => {
      await withChannel(async (ch) => {
        await ch.assertExchange(exchange, 'topic', { durable: false });
        await ch.assertQueue(queue, { durable: true });
        await ch.assertQueue(`${queue}.dead`, { durable: true });
        for (const key of ROUTING_KEYS) await ch.bindQueue(queue, exchange, key);
      });
      const u = new URL(amqpUrl());
      return {
        id,
        transportUrl: `amqp://${u.username || 'guest'}:${u.password || 'guest'}@${u.hostname}:${u.port || 5672}`,
        exchange,
        addresses: [`/amq/queue/${queue}`],
      };
    },
  },
];

describe.each(TRANSPORTS)('$name', (transport) => {
  const vimId = uniqueName('tx');
  const exchange = uniqueName('nova-tx');
  const queue = `vim-event-relay.${vimId}`;
  const topic = `T_${vimId}`;
  const dir = tempDir('ver-tx-');
  let dmaapPort: number;
  let dmaap: DmaapDevProcess;
  let daemon: SpawnedDaemon;
  let config: Record<string, unknown>;

  const drained = () =>
    waitFor(
      async () => {
        const c = await queueCounts(queue);
        return c && c.ready === 0 && c.unacked === 0;
      },
      `${queue} drained`,
      30000,
      250,
    );

  beforeAll(async () => {
    dmaapPort = await freePort();
    dmaap = await startDmaapDevProcess(dmaapPort);
    config = {
      dmaap: { url: dmaap.url, timeoutMs: 2000 },
      // Small batches, one request at a time: slow enough that a SIGKILL lands mid-stream.
      publish: { retryInitialMs: 50, retryMaxMs: 500, batchMaxMessages: 5, maxInFlightRequests: 1 },
      transport: { prefetch: PREFETCH, reconnectInitialMs: 200, reconnectMaxMs: 1000 },
      vims: [await transport.vim(vimId, exchange, queue)],
      subscriptions: [{ id: `${vimId}-s`, vimId, states: ['POWER_OFF', 'DELETE'], topic }],
    };
    daemon = await spawnDaemon(config, { dir });
    await waitFor(async () => (await fetch(`${daemon.adminUrl}/readyz?strict=1`)).status === 200, 'ready');
  });

  afterAll(async () => {
    if (daemon) await stopDaemon(daemon);
    await dmaap?.stop();
    await cleanup({ queues: [queue, `${queue}.dead`], exchanges: [exchange] });
  });

  test('relays exactly the subscribed set, field for field', async () => {
    const sent: { sample: Sample; id: string; event?: string }[] = [
      { sample: legacySample('designate/compute.instance.create.end.json'), id: randomUUID() },
      { sample: expandVersioned('instance-power_off-end.json'), id: randomUUID(), event: 'POWER_OFF' },
      { sample: expandVersioned('instance-delete-end.json'), id: randomUUID(), event: 'DELETE' },
      { sample: expandVersioned('instance-pause-start.json'), id: randomUUID() },
      { sample: legacySample('watcher/scenario3_legacy_instance-delete-end.json'), id: randomUUID(), event: 'DELETE' },
    ];
    await withChannel(async (ch) => {
      sent.forEach((s, i) =>
        publishOslo(
          ch,
          exchange,
          routingKeyFor(s.sample),
          (i % 2 ? toWireV1 : toWireV2)(s.sample, { messageId: s.id }),
        ),
      );
    });
    const wanted = sent.filter((s) => s.event);
    const got = await consume(dmaap.url, topic, wanted.length, 20000, 'fidelity');
    expect(got.map((m) => m.message_id).sort()).toEqual(wanted.map((s) => s.id).sort());
    for (const m of got) {
      const s = wanted.find((w) => w.id === m.message_id)!;
      const p = s.sample.payload as Record<string, any>;
      const d = p['nova_object.data'] as Record<string, any> | undefined;
      expect(m).toMatchObject({
        vim_id: vimId,
        event: s.event,
        event_type: s.sample.event_type,
        publisher_id: s.sample.publisher_id,
        instance_id: d ? d.uuid : p.instance_id,
        state: d ? d.state : p.state,
        display_name: d ? d.display_name : p.display_name,
      });
    }
    await drained();
  });

  test('a DMaaP outage loses nothing: deliveries stay unsettled, then all arrive', async () => {
    await dmaap.stop();
    const ids = Array.from({ length: 30 }, () => randomUUID());
    await withChannel(async (ch) => {
      for (const id of ids) publishOslo(ch, exchange, 'versioned_notifications.info', powerOffV2(id));
    });
    await waitFor(
      async () => (await queueCounts(queue))?.unacked === 30,
      '30 unsettled while DMaaP is down',
      20000,
      250,
    );
    dmaap = await startDmaapDevProcess(dmaapPort);
    const got = await consume(dmaap.url, topic, 30, 30000, 'outage');
    expect(new Set(got.map((m) => m.message_id))).toEqual(new Set(ids));
    await drained();
  });

  test('SIGKILL mid-stream and a restart lose nothing; duplicates stay bounded', async () => {
    const n = 1000;
    const ids = Array.from({ length: n }, (_, i) => `kill-${vimId}-${i}`);
    const model = await connect(amqpUrl());
    const ch = await model.createConfirmChannel();
    for (const id of ids) {
      ch.publish(
        exchange,
        'versioned_notifications.info',
        Buffer.from(JSON.stringify(toWireV2(expandVersioned('instance-delete-end.json'), { messageId: id }))),
        { contentType: 'application/json', deliveryMode: 2 },
      );
    }
    await ch.waitForConfirms();
    await model.close();
    const mine = (m: Record<string, unknown>) => String(m.message_id).startsWith(`kill-${vimId}-`);
    const before = await consume(dmaap.url, topic, 100, 20000, 'kill-probe', mine); // mid-stream
    expect(before.length).toBeGreaterThanOrEqual(100);
    daemon.signal('SIGKILL');
    expect(await daemon.exited).toBe('SIGKILL');
    daemon = await spawnDaemon(config, { dir });
    await drained();
    const all = await consume(dmaap.url, topic, n, 30000, 'kill', mine);
    const unique = new Set(all.map((m) => m.message_id));
    // Every id arrived; read on until the topic is quiet to count the duplicates too.
    const more = await consume(dmaap.url, topic, Number.MAX_SAFE_INTEGER, 1500, 'kill', mine);
    for (const m of more) unique.add(m.message_id);
    expect([...ids].filter((id) => !unique.has(id))).toEqual([]);
    const duplicates = all.length + more.length - unique.size;
    expect(duplicates).toBeLessThanOrEqual(transport.duplicateBound);
    process.stdout.write(
      `${transport.name} SIGKILL: ${n} sent, ${unique.size} distinct delivered, ${duplicates} duplicates (prefetch ${PREFETCH})\n`,
    );
  });
});
