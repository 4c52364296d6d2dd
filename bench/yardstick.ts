/**
 * The yardstick: a minimal relay that does only the job, run as its own fresh process (forked by
 * bench/yardstick-scenario.ts) against the same pre-queued corpus and the same counting sink as
 * the relay's drain. Per notification: both `JSON.parse`s of the oslo envelope, the event type
 * looked up in a table, the VM message built from the payload and stringified; per topic,
 * batches of 100 POSTed on keep-alive with Node's own client; acks `multiple` in delivery order
 * once every batch holding a notification was answered. No validation, no filtering rules, no
 * retries, no store, no metrics: what is left of the relay's cost beyond this is what its
 * guarantees and its generality cost. Not shipped; the bench only.
 *
 * IPC: the parent sends a Job; the child connects and answers {consuming: epochMs} once
 * basic.consume is answered; then {done} when every notification was acked, or {error}.
 */
import http from 'node:http';
import { connect, type ConsumeMessage } from 'amqplib';

export interface YardstickRoute {
  /** The state the event type maps to (the message's `event`). */
  readonly event: string;
  /** The topics a notification of that type is published to (empty: filtered). */
  readonly topics: readonly string[];
}

export interface YardstickJob {
  readonly amqpUrl: string;
  readonly queue: string;
  readonly n: number;
  readonly prefetch: number;
  readonly sinkUrl: string;
  readonly vimId: string;
  readonly batch: number;
  /** Event type -> route, from the relay's own decisions over the corpus (yardstick-scenario.ts). */
  readonly routes: Record<string, YardstickRoute>;
}

/** The VM message's keys; a versioned payload names some of them otherwise. */
const VM_KEYS = [
  'state_description', 'availability_zone', 'terminated_at', 'ephemeral_gb', 'instance_type_id', 'deleted_at',
  'reservation_id', 'memory_mb', 'display_name', 'hostname', 'state', 'progress', 'launched_at', 'metadata', 'node',
  'ramdisk_id', 'access_ip_v6', 'disk_gb', 'access_ip_v4', 'kernel_id', 'host', 'user_id', 'image_ref_url',
  'cell_name', 'root_gb', 'tenant_id', 'created_at', 'instance_id', 'instance_type', 'vcpus', 'image_meta',
  'architecture', 'os_type', 'instance_flavor_id',
] as const; // prettier-ignore
const VERSIONED_NAMES: Record<string, string> = {
  instance_id: 'uuid',
  hostname: 'host_name',
  tenant_id: 'tenant_id',
  state_description: 'task_state',
};

type Json = Record<string, unknown>;

function vmMessage(vimId: string, oslo: Json, route: YardstickRoute): string {
  const payload = (oslo.payload ?? {}) as Json;
  const data = (payload['nova_object.data'] as Json | undefined) ?? payload;
  const msg: Json = {};
  for (const k of VM_KEYS) msg[k] = data[k] ?? data[VERSIONED_NAMES[k] ?? k] ?? '';
  msg.vim_id = vimId;
  msg.event = route.event;
  msg.event_type = oslo.event_type;
  msg.message_id = oslo.message_id;
  msg.timestamp = oslo.timestamp;
  msg.publisher_id = oslo.publisher_id;
  return JSON.stringify(msg);
}

/** One delivery waiting for the batches that hold its messages. */
interface Waiting {
  readonly msg: ConsumeMessage;
  pending: number;
}

async function run(job: YardstickJob): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const sink = new URL(job.sinkUrl);
  const model = await connect(job.amqpUrl, { noDelay: true });
  model.on('error', () => undefined);
  const ch = await model.createChannel();
  await ch.prefetch(job.prefetch);
  const order: Waiting[] = [];
  const batches = new Map<string, { texts: string[]; holders: Waiting[] }>();
  let acked = 0;
  let head = 0;
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const ackReady = (): void => {
    let last: Waiting | undefined;
    while (head < order.length && order[head].pending === 0) {
      last = order[head++];
      acked++;
    }
    if (!last) return;
    ch.ack(last.msg, true);
    if (head > 10_000) {
      order.splice(0, head);
      head = 0;
    }
    if (acked >= job.n) finish?.();
  };

  const post = (topic: string, texts: string[], holders: Waiting[]): void => {
    const body = Buffer.from(`[${texts.join(',')}]`);
    const req = http.request(
      {
        host: sink.hostname,
        port: sink.port,
        path: `/events/${topic}`,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          for (const h of holders) h.pending--;
          ackReady();
        });
      },
    );
    req.on('error', (err) => process.send?.({ error: `POST /events/${topic}: ${err.message}` }));
    req.end(body);
  };

  const add = (topic: string, text: string, holder: Waiting): void => {
    let b = batches.get(topic);
    if (!b) batches.set(topic, (b = { texts: [], holders: [] }));
    b.texts.push(text);
    b.holders.push(holder);
    holder.pending++;
    if (b.texts.length >= job.batch) {
      batches.delete(topic);
      post(topic, b.texts, b.holders);
    }
  };

  // The tail: batches that did not fill are sent after a short linger, as the relay's are.
  const linger = setInterval(() => {
    for (const [topic, b] of batches) post(topic, b.texts, b.holders);
    batches.clear();
  }, 5);

  const onMessage = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const envelope = JSON.parse(msg.content.toString('utf8')) as Json;
    const text = envelope['oslo.message'];
    const oslo = (typeof text === 'string' ? JSON.parse(text) : envelope) as Json;
    const route = job.routes[oslo.event_type as string];
    const waiting: Waiting = { msg, pending: 0 };
    order.push(waiting);
    if (route && route.topics.length) {
      const message = vmMessage(job.vimId, oslo, route);
      for (const t of route.topics) add(t, message, waiting);
    }
    ackReady();
  };
  await ch.consume(job.queue, onMessage, { noAck: false });
  process.send?.({ consuming: Date.now() });
  await finished;
  clearInterval(linger);
  await ch.close().catch(() => undefined);
  await model.close().catch(() => undefined);
  agent.destroy();
}

process.once('message', (job: YardstickJob) => {
  // Stays up once done, so that the parent can still read its /proc figures; the parent ends it.
  run(job).then(
    () => void process.send?.({ done: true }),
    (err: unknown) => {
      process.send?.({ error: (err as Error).stack ?? String(err) });
      process.exit(1);
    },
  );
});
