/**
 * The process-wide connect limit (transport.maxConcurrentConnects) with brokers that hang: ten
 * VIMs point at a TCP server on loopback that accepts and never says a word (a broker stuck
 * before its handshake), one VIM at the local RabbitMQ, started last. The healthy VIM must be
 * consuming long before the silent ones' connect timeout, whatever the start order.
 */
import net from 'node:net';
import { createListener } from '../../../src/transport/create-listener.js';
import type { TransportOptions } from '../../../src/transport/options.js';
import type { VimListener } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { cleanup, FAST_TRANSPORT, osloBody, publishOslo, testVim, withChannel } from '../../helpers/amqp.js';
import { waitFor } from '../../helpers/wait.js';

const OPTS: TransportOptions = { ...FAST_TRANSPORT, maxConcurrentConnects: 4, connectTimeoutMs: 20000 };

let silent: net.Server;
const accepted = new Set<net.Socket>();
const listeners: VimListener[] = [];
const garbage: { queues: string[]; exchanges: string[] }[] = [];

beforeAll(async () => {
  silent = net.createServer((s) => {
    accepted.add(s);
    s.on('error', () => undefined).on('close', () => accepted.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const s of accepted) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  for (const names of garbage.splice(0)) await cleanup(names);
});

function vim(transportUrl: string) {
  const t = testVim({ transportUrl });
  garbage.push(t.names);
  return t.vim;
}

it('a healthy VIM reaches REACHABLE while ten VIMs on a silent broker still wait for their handshake', async () => {
  const port = (silent.address() as net.AddressInfo).port;
  const hung: VimListener[] = [];
  for (let i = 0; i < 10; i++) {
    // Both protocols: five 0-9-1 and five 1.0 VIMs on the silent host.
    const scheme = i % 2 === 0 ? 'rabbit' : 'amqp';
    const l = createListener(vim(`${scheme}://guest:guest@127.0.0.1:${port}/`), OPTS, silentLogger());
    listeners.push(l);
    hung.push(l);
  }
  for (const l of hung) await l.start(() => undefined);
  const healthyVim = vim('rabbit://guest:guest@127.0.0.1:5672/');
  const healthy = createListener(healthyVim, OPTS, silentLogger());
  listeners.push(healthy);
  const got: string[] = [];
  await healthy.start((d) => {
    got.push(d.source);
    d.ack();
  });

  await waitFor(() => healthy.status.status === 'REACHABLE', 'the healthy VIM REACHABLE', OPTS.connectTimeoutMs);
  // Ordering, not timing: at this moment no silent VIM has timed out yet ...
  for (const l of hung) {
    expect(['PENDING', 'UNREACHABLE']).toContain(l.status.status);
    expect(l.status.reason ?? '').not.toMatch(/connectTimeoutMs/);
  }
  // ... every one of them got through the limit to the silent server (none waits for a slot) ...
  await waitFor(() => accepted.size === 10, 'ten connections held open by the silent server');
  expect(hung.every((l) => l.status.status === 'PENDING')).toBe(true);
  // ... and the healthy VIM is really consuming.
  await withChannel(async (ch) => void publishOslo(ch, healthyVim.exchange, 'notifications.info', osloBody('limit')));
  await waitFor(() => got.length === 1, 'a delivery on the healthy VIM');
}, 40000);
