import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionTarget } from '../../../../src/transport/amqp091/connect.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../../src/transport/options.js';
import { parseTransportUrl } from '../../../../src/transport/transport-url.js';

const opts = { ...DEFAULT_TRANSPORT_OPTIONS, heartbeatSeconds: 42, connectTimeoutMs: 4321 };

describe('connectionTarget', () => {
  it('maps one host of the transport_url to amqplib options', () => {
    const url = parseTransportUrl('rabbit://a:pa@h1:5672,b:p%40b@h2:5673/nova');
    const { target, socket } = connectionTarget(url, url.hosts[1], opts, 'vio-1');
    expect(target).toEqual({
      protocol: 'amqp',
      hostname: 'h2',
      port: 5673,
      username: 'b',
      password: 'p@b',
      vhost: 'nova',
      heartbeat: 42,
    });
    // transport.connectTimeoutMs, also amqplib's socket timeout.
    expect(socket).toEqual({ timeout: 4321, clientProperties: { connection_name: 'vim-event-relay vio-1' } });
  });

  it.each([
    ['rabbit://h/', '%2F'],
    ['rabbit://h/a%25b', 'a%25b'],
    ['rabbit://h/%2Fopenstack', '%2Fopenstack'],
  ])('hands amqplib the vhost of %s encoded once more (it unescapes it): %s', (raw, vhost) => {
    const url = parseTransportUrl(raw);
    expect(connectionTarget(url, url.hosts[0], opts, 'v').target.vhost).toBe(vhost);
    expect(decodeURIComponent(vhost)).toBe(url.vhost);
  });

  it('selects amqps for ssl=1', () => {
    const url = parseTransportUrl('rabbit://h/?ssl=1');
    expect(connectionTarget(url, url.hosts[0], opts, 'v').target).toMatchObject({ protocol: 'amqps', port: 5671 });
  });
});

describe('TLS and heartbeat from the URL (read by url-options.ts, as for AMQP 1.0)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `-- ${f} --`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is applied only when the URL asks for TLS', () => {
    const plain = parseTransportUrl(`rabbit://h/?ssl_ca_file=${join(dir, 'nope.pem')}`);
    expect(() => connectionTarget(plain, plain.hosts[0], opts, 'v')).not.toThrow();
    const tls = parseTransportUrl(`rabbit://h/?ssl=1&ssl_ca_file=${join(dir, 'ca.pem')}`);
    expect(connectionTarget(tls, tls.hosts[0], opts, 'v').socket.ca?.toString()).toBe('-- ca.pem --');
  });

  it('hands amqplib the client certificate, its key and ssl_key_password', () => {
    const url = parseTransportUrl(
      `rabbit://h/?ssl=1&ssl_cert_file=${join(dir, 'cert.pem')}&ssl_key_file=${join(dir, 'key.pem')}&ssl_key_password=kp`,
    );
    const { socket } = connectionTarget(url, url.hosts[0], opts, 'v');
    expect(socket.cert?.toString()).toBe('-- cert.pem --');
    expect((socket.key as Buffer | undefined)?.toString()).toBe('-- key.pem --');
    expect(socket.passphrase).toBe('kp');
  });

  it("takes the URL's heartbeat_timeout_threshold over the configured default", () => {
    const url = parseTransportUrl('rabbit://h/?heartbeat_timeout_threshold=15');
    expect(connectionTarget(url, url.hosts[0], opts, 'v').target.heartbeat).toBe(15);
    const off = parseTransportUrl('rabbit://h/?heartbeat_timeout_threshold=0');
    expect(connectionTarget(off, off.hosts[0], opts, 'v').target.heartbeat).toBe(0);
  });
});
