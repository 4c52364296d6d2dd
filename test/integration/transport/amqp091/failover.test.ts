/** Host failover, reconnect with backoff, and recovery from faults, against a real RabbitMQ. */
import { PassThrough } from 'node:stream';
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import type { VimConfig } from '../../../../src/config/vim.js';
import type { Delivery, ListenerStatusChange } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import winston from 'winston';
import {
  FAST_TRANSPORT,
  messageCount,
  osloBody,
  publishOslo,
  rabbitUrl,
  statusLog,
  tagOf,
  TestVims,
  withChannel,
} from '../../../helpers/amqp.js';
import { startTcpProxy, type TcpProxy } from '../../../helpers/tcp-proxy.js';
import { sleep, waitFor } from '../../../helpers/wait.js';

const vims = new TestVims();
const listeners: Amqp091Listener[] = [];
let proxy: TcpProxy | undefined;

const vimFor = (transportUrl: string): VimConfig => vims.vim({ transportUrl });

function listener(vim: VimConfig, logger = silentLogger()): { listener: Amqp091Listener; got: Delivery[] } {
  const l = new Amqp091Listener(vim, FAST_TRANSPORT, logger);
  listeners.push(l);
  const got: Delivery[] = [];
  void l.start((d) => got.push(d));
  return { listener: l, got };
}

function publish(vim: VimConfig, tags: readonly (string | number)[]): Promise<void> {
  return withChannel(async (ch) => {
    for (const t of tags) publishOslo(ch, vim.exchange, 'notifications.info', osloBody(t));
  });
}

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await proxy?.close();
  proxy = undefined;
  await vims.removeAll();
});

describe('Amqp091Listener failover and reconnect', () => {
  it('fails over to the second host of the transport_url: PENDING -> REACHABLE', async () => {
    const vim = vimFor('rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/');
    const l = new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger());
    listeners.push(l);
    const seen = statusLog(l);
    const got: Delivery[] = [];
    await l.start((d) => got.push(d));
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
    await publish(vim, [1]);
    await waitFor(() => got.length === 1, 'a delivery');
  });

  it('with no reachable host: UNREACHABLE naming the hosts, never the password', async () => {
    const vim = vimFor('rabbit://guest:s3cret-pw@127.0.0.1:1,guest:s3cret-pw@127.0.0.1:2/');
    const { listener: l } = listener(vim);
    await waitFor(() => l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(l.status.reason).toMatch(/127\.0\.0\.1:1: .*ECONNREFUSED.*127\.0\.0\.1:2: .*ECONNREFUSED/);
    expect(l.status.reason).not.toContain('s3cret-pw');
  });

  it('keeps retrying with backoff while the broker is down, and becomes REACHABLE once it is back', async () => {
    proxy = await startTcpProxy(5672);
    proxy.pause();
    const vim = vimFor(rabbitUrl(`127.0.0.1:${proxy.port}`));
    const { listener: l, got } = listener(vim);
    const seen = statusLog(l);
    await waitFor(() => proxy!.attempts >= 4, '4 connection attempts');
    expect(l.status.status).toBe('UNREACHABLE');
    proxy.resume();
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    expect(seen).toEqual(['PENDING', 'UNREACHABLE', 'REACHABLE']);
    await publish(vim, [1]);
    await waitFor(() => got.length === 1, 'a delivery');
  });

  it('after a cut connection: UNREACHABLE, then REACHABLE again, consuming resumes and nothing is lost', async () => {
    proxy = await startTcpProxy(5672);
    const vim = vimFor(rabbitUrl(`127.0.0.1:${proxy.port}`));
    const { listener: l, got } = listener(vim);
    const changes: ListenerStatusChange[] = [];
    l.on('status', (s: ListenerStatusChange) => changes.push(s));
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    await publish(vim, [1, 2, 3, 4]);
    await waitFor(() => got.length === 4, '4 deliveries');
    got[0].ack();
    got[1].ack();
    await sleep(100);

    proxy.cutAll();
    await waitFor(() => l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(l.status.reason).toMatch(/connection to 127\.0\.0\.1:\d+ lost/);
    // Settling deliveries of the dead channel is a harmless no-op; the broker redelivers them.
    got[2].ack();
    got[3].requeue();
    expect(l.unsettled()).toBe(0);
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE again');
    await publish(vim, [5]);
    await waitFor(() => got.length >= 7, 'redeliveries and the new message');
    const after = got.slice(4);
    for (const d of after) d.ack();
    expect(after.map(tagOf).sort()).toEqual(['msg-3', 'msg-4', 'msg-5']);
    expect(
      after
        .filter((d) => d.redelivered)
        .map(tagOf)
        .sort(),
    ).toEqual(['msg-3', 'msg-4']);
    expect(changes.map((c) => c.status)).toEqual(['REACHABLE', 'UNREACHABLE', 'REACHABLE']);

    // Stale acks did not reach the new channel (that would be a 406 and another reconnect).
    await sleep(200);
    expect(l.status.status).toBe('REACHABLE');
    expect(changes).toHaveLength(3);
    await l.close();
    expect(await messageCount(vim.queue)).toBe(0);
  });

  it('re-declares and resumes when its queue is deleted under the consumer', async () => {
    const vim = vimFor(rabbitUrl());
    const { listener: l, got } = listener(vim);
    const seen = statusLog(l);
    await waitFor(() => l.status.status === 'REACHABLE', 'REACHABLE');
    await withChannel((ch) => ch.deleteQueue(vim.queue));
    await waitFor(
      async () => (await withChannel((ch) => ch.checkQueue(vim.queue)).catch(() => undefined))?.consumerCount === 1,
      'the queue back with our consumer',
    );
    await publish(vim, ['after']);
    await waitFor(() => got.length === 1, 'a delivery after the re-declare');
    expect(tagOf(got[0])).toBe('msg-after');
    got[0].ack();
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
  });

  it('reports a refused login without the password, in the status and in the log', async () => {
    const password = 'wr0ng-s3cret';
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    // A plain winston logger: it must be the listener that keeps the password out, not redaction in the logger.
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream })],
    });
    const vim = vimFor(`rabbit://guest:${password}@127.0.0.1:5672/`);
    const { listener: l } = listener(vim, logger);
    await waitFor(() => l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(l.status.reason).toMatch(/ACCESS.REFUSED.*check the user name and password/);
    await waitFor(() => lines.some((x) => x.includes('ACCESS')), 'the log line');
    expect(l.status.reason).not.toContain(password);
    expect(lines.join('')).not.toContain(password);
  });

  it('reports a missing ssl_ca_file by name', async () => {
    const vim = vimFor('rabbit://guest:guest@127.0.0.1:5671/?ssl=1&ssl_ca_file=/nonexistent/relay-ca.pem');
    const { listener: l } = listener(vim);
    await waitFor(() => l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(l.status.reason).toBe(
      'ssl_ca_file "/nonexistent/relay-ca.pem" from the transport_url cannot be read (ENOENT); fix the path or the file\'s permissions',
    );
  });
});
