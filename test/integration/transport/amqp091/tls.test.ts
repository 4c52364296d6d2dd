/**
 * TLS for rabbit://...?ssl=1 with oslo's ssl_ca_file: the local RabbitMQ has no TLS listener,
 * so a TLS-terminating proxy (node:tls, a certificate made here with openssl for 127.0.0.1)
 * stands in front of it. The listener does a real handshake and verifies the broker's
 * certificate against the CA file; without the CA it must refuse the untrusted certificate.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import {
  cleanup,
  FAST_TRANSPORT,
  osloBody,
  publishOslo,
  statusLog,
  tagOf,
  testVim,
  withChannel,
} from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';
import { selfSignedCert } from '../../../helpers/self-signed.js';

const tlsFiles = selfSignedCert('ver-tls-');
const { dir, certFile } = tlsFiles;
let server: Server;
let port: number;
const sockets = new Set<Socket>();
const garbage: { queues: string[]; exchanges: string[] }[] = [];
const listeners: Amqp091Listener[] = [];

beforeAll(async () => {
  server = createServer({ key: tlsFiles.key, cert: tlsFiles.cert }, (tls) => {
    const broker = tcpConnect(5672, '127.0.0.1');
    for (const s of [tls, broker]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    tls.pipe(broker).pipe(tls);
  });
  server.on('tlsClientError', () => undefined); // the untrusted-certificate case aborts handshakes
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const names of garbage.splice(0)) await cleanup(names);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tlsFiles.remove();
});

function start(transportUrl: string): { listener: Amqp091Listener; got: Delivery[]; exchange: string } {
  const t = testVim({ transportUrl });
  garbage.push(t.names);
  const listener = new Amqp091Listener(t.vim, FAST_TRANSPORT, silentLogger());
  listeners.push(listener);
  const got: Delivery[] = [];
  void listener.start((d) => got.push(d));
  return { listener, got, exchange: t.vim.exchange };
}

describe('Amqp091Listener over TLS (ssl=1)', () => {
  it('connects with the CA from ssl_ca_file, consumes and settles through the TLS session', async () => {
    const { listener, got, exchange } = start(
      `rabbit://guest:guest@127.0.0.1:${port}/?ssl=1&ssl_ca_file=${encodeURIComponent(certFile)}`,
    );
    const seen = statusLog(listener);
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE over TLS');
    await withChannel(async (ch) => void publishOslo(ch, exchange, 'notifications.info', osloBody('tls')));
    await waitFor(() => got.length === 1, 'a delivery over TLS');
    expect(tagOf(got[0])).toBe('msg-tls');
    got[0].ack();
    expect(seen).toEqual(['PENDING', 'REACHABLE']);
  });

  it('refuses a broker certificate it cannot verify: UNREACHABLE, naming the certificate problem', async () => {
    const { listener } = start(`rabbit://guest:guest@127.0.0.1:${port}/?ssl=1`);
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toMatch(/certificate/i);
  });

  it('names a missing ssl_ca_file in the reason', async () => {
    const { listener } = start(
      `rabbit://guest:guest@127.0.0.1:${port}/?ssl=1&ssl_ca_file=${encodeURIComponent(join(dir, 'nope.pem'))}`,
    );
    await waitFor(() => listener.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(listener.status.reason).toContain('nope.pem');
  });
});
