/** The oslo query options both transports read one way: heartbeat and TLS files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import { parseTransportUrl } from '../../../src/transport/transport-url.js';
import { heartbeatSeconds, tlsFiles } from '../../../src/transport/url-options.js';

const opts = { ...DEFAULT_TRANSPORT_OPTIONS, heartbeatSeconds: 42 };

describe('heartbeatSeconds', () => {
  it.each([
    ['rabbit://h/', 42],
    ['rabbit://h/?heartbeat_timeout_threshold=', 42],
    ['rabbit://h/?heartbeat_timeout_threshold=15', 15],
    ['amqp://h/?heartbeat_timeout_threshold=15', 15],
    ['amqp://h/?heartbeat_timeout_threshold=0', 0],
  ])('%s -> %i s', (raw, seconds) => {
    expect(heartbeatSeconds(parseTransportUrl(raw), opts)).toBe(seconds);
  });
});

describe('tlsFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `-- ${f} --`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads oslo ssl_ca_file, ssl_cert_file and ssl_key_file, and takes ssl_key_password', () => {
    const t = tlsFiles({
      ssl_ca_file: join(dir, 'ca.pem'),
      ssl_cert_file: join(dir, 'cert.pem'),
      ssl_key_file: join(dir, 'key.pem'),
      ssl_key_password: 'kp',
    });
    expect(t.ca?.toString()).toBe('-- ca.pem --');
    expect(t.cert?.toString()).toBe('-- cert.pem --');
    expect(t.key?.toString()).toBe('-- key.pem --');
    expect(t.passphrase).toBe('kp');
  });

  it('needs no file at all (system CAs)', () => {
    expect(tlsFiles({ ssl: '1' })).toEqual({});
  });

  it('names the missing file, the query option and the fix', () => {
    const missing = join(dir, 'nope.pem');
    expect(() => tlsFiles({ ssl_ca_file: missing })).toThrow(
      `ssl_ca_file "${missing}" from the transport_url cannot be read (ENOENT); fix the path or the file's permissions`,
    );
  });

  it("says what a reader's error without a code was", () => {
    const read = () => {
      throw new Error('device not ready');
    };
    expect(() => tlsFiles({ ssl_key_file: '/k', ssl_cert_file: '/c' }, read)).toThrow(
      'ssl_cert_file "/c" from the transport_url cannot be read (device not ready)',
    );
  });

  it.each([[{ ssl_cert_file: 'cert.pem' }], [{ ssl_key_file: 'key.pem' }]])(
    'wants a client certificate together with its key: %j',
    (q) => {
      const query = Object.fromEntries(Object.entries(q).map(([k, f]) => [k, join(dir, f)]));
      expect(() => tlsFiles(query)).toThrow(
        'ssl_cert_file and ssl_key_file must be given together in the transport_url (client certificate and its key)',
      );
    },
  );
});
