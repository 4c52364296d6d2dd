/**
 * The ceiling of issue 17, run as its own fresh process (forked by bench/ratio-scenarios.ts):
 * amqplib consuming and acking a pre-queued backlog with `multiple` every `every` messages and
 * no work at all, no decode, no parse. A fresh process, so that neither the bench's JIT-warm
 * heap nor its other sockets help or hinder it, as the relay starts fresh too.
 *
 * IPC: the parent sends {url, queue, n, prefetch, every}; the child connects and answers
 * {ready}; the parent reads the child's CPU from /proc and sends {go}; the child consumes and
 * answers {done, seconds} (basic.consume sent to the last ack written); the parent reads /proc
 * again and sends {exit}.
 */
import { connect, type ConsumeMessage } from 'amqplib';

interface Job {
  url: string;
  queue: string;
  n: number;
  prefetch: number;
  every: number;
}

const send = (m: object): void => void process.send?.(m);

async function run(job: Job): Promise<void> {
  // Nagle off, as the bench's own connections (broker.ts open()); acks are written at once.
  const model = await connect(job.url, { noDelay: true });
  model.on('error', () => undefined);
  const ch = await model.createChannel();
  await ch.prefetch(job.prefetch);
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    send({ ready: true });
  });
  let got = 0;
  const started = performance.now();
  const ended = await new Promise<number>((resolve) => {
    void ch.consume(
      job.queue,
      (msg: ConsumeMessage | null) => {
        if (!msg) return;
        got++;
        if (got % job.every === 0 || got === job.n) ch.ack(msg, true);
        if (got === job.n) resolve(performance.now());
      },
      { noAck: false },
    );
  });
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    send({ done: true, seconds: (ended - started) / 1000 });
  });
  await ch.close().catch(() => undefined);
  await model.close().catch(() => undefined);
}

process.once('message', (job: Job) => {
  run(job).then(
    () => process.exit(0),
    (err: unknown) => {
      send({ error: (err as Error).stack ?? String(err) });
      process.exit(1);
    },
  );
});
