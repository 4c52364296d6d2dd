import { clientConfig } from '../../../../src/publish/kafka/client.js';
import {
  brokerProblems,
  buildTls,
  KAFKA_DEFAULTS,
  resolveKafkaOptions,
  resolveSasl,
  sslProblems,
} from '../../../../src/publish/kafka/options.js';
import { silentLogger } from '../../../../src/util/logger.js';

const JAAS =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="relay" password="pw-from-secret";';

describe('resolveKafkaOptions', () => {
  it('fills every default', () => {
    const r = resolveKafkaOptions({ brokers: ['kafka:9092'] });
    for (const [k, v] of Object.entries(KAFKA_DEFAULTS)) expect(r[k as keyof typeof KAFKA_DEFAULTS]).toBe(v);
    expect(r.sasl).toBeUndefined();
    expect(r.ssl).toEqual({ enabled: false });
  });

  it('lists every problem at once, each naming the key', () => {
    expect(() =>
      resolveKafkaOptions({ brokers: [], batchMaxMessages: 0, lingerMs: -1, sasl: { mechanism: 'scram-sha-512' } }),
    ).toThrow(
      /kafka.brokers[\s\S]*batchMaxMessages must be an integer >= 1[\s\S]*lingerMs must be >= 0[\s\S]*kafka.sasl.jaasConfig, or both/,
    );
  });
});

describe('brokerProblems', () => {
  it.each([
    ['kafka:9092'],
    ['10.0.0.1:9093'],
    ['[::1]:9092'],
    ['onap-strimzi-kafka-bootstrap.onap.svc.cluster.local:9092'],
  ])('accepts %s', (b) => {
    expect(brokerProblems([b])).toEqual([]);
  });
  it.each([['kafka'], ['kafka://host:9092'], ['host:99999'], ['host:'], ['']])(
    'refuses %j, naming the key and an example',
    (b) => {
      expect(brokerProblems([b])[0]).toMatch(/^kafka.brokers: .* e.g. onap-strimzi-kafka-bootstrap:9092/);
    },
  );
});

describe('resolveSasl', () => {
  it('no mechanism, no credentials: no SASL', () => {
    expect(resolveSasl(undefined)).toBeUndefined();
    expect(resolveSasl({ mechanism: '' })).toBeUndefined();
  });
  it('takes user and password from the JAAS text', () => {
    expect(resolveSasl({ mechanism: 'scram-sha-512', jaasConfig: JAAS })).toEqual({
      mechanism: 'scram-sha-512',
      username: 'relay',
      password: 'pw-from-secret',
    });
  });
  it('takes the separate keys', () => {
    expect(resolveSasl({ mechanism: 'plain', username: 'u', password: 'p' })).toEqual({
      mechanism: 'plain',
      username: 'u',
      password: 'p',
    });
  });
  it.each([
    [{ mechanism: '' as const, username: 'u', password: 'p' }, /mechanism is empty but credentials are set/],
    [{ mechanism: 'scram-sha-512' as const }, /set kafka.sasl.jaasConfig, or both/],
    [{ mechanism: 'scram-sha-256' as const, username: 'u' }, /both kafka.sasl.username and kafka.sasl.password/],
    [
      { mechanism: 'scram-sha-512' as const, jaasConfig: JAAS, username: 'u' },
      /either jaasConfig or username\/password/,
    ],
    [{ mechanism: 'plain' as const, jaasConfig: JAAS }, /ScramLoginModule but kafka.sasl.mechanism is plain/],
    [
      { mechanism: 'scram-sha-512' as const, jaasConfig: 'x.ScramLoginModule required username="u";' },
      /must hold username=.* and password=/,
    ],
    [
      { mechanism: 'scram-sha-512' as const, jaasConfig: 'garbage password="pw-from-secret"' },
      /kafka.sasl.jaasConfig .*required/,
    ],
    [{ mechanism: 'gssapi' as never }, /not one of plain, scram-sha-256, scram-sha-512/],
  ])('refuses %j', (sasl, reason) => {
    let message = '';
    try {
      resolveSasl(sasl);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(reason);
    expect(message).not.toContain('pw-from-secret');
  });
});

describe('TLS', () => {
  const files: Record<string, string> = { '/ca.pem': 'CA', '/crt.pem': 'CERT', '/key.pem': 'KEY' };
  const read = (p: string): Buffer => {
    if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return Buffer.from(files[p]);
  };

  it('off, on with the system CAs, a CA file, mutual TLS', () => {
    expect(buildTls({ enabled: false }, read)).toBe(false);
    expect(buildTls({ enabled: true }, read)).toBe(true);
    expect(buildTls({ enabled: true, caFile: '/ca.pem' }, read)).toEqual({ ca: Buffer.from('CA') });
    expect(buildTls({ enabled: true, caFile: '/ca.pem', certFile: '/crt.pem', keyFile: '/key.pem' }, read)).toEqual({
      ca: Buffer.from('CA'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
  });

  it('names the key of a file it cannot read', () => {
    expect(() => buildTls({ enabled: true, caFile: '/missing.pem' }, read)).toThrow(
      'kafka.ssl.caFile: cannot read /missing.pem (ENOENT)',
    );
  });

  it('refuses files without kafka.ssl.enabled, and a certificate without its key', () => {
    expect(sslProblems({ enabled: false, caFile: '/ca.pem' })).toEqual([
      'kafka.ssl.caFile is set but kafka.ssl.enabled is false; set kafka.ssl.enabled to true',
    ]);
    expect(sslProblems({ enabled: true, certFile: '/crt.pem' })).toEqual([
      'kafka.ssl.certFile and kafka.ssl.keyFile go together (mutual TLS); set both or neither',
    ]);
  });
});

describe('clientConfig', () => {
  it('SCRAM from JAAS over TLS with a CA: what the client is given', () => {
    const o = resolveKafkaOptions({
      brokers: ['kafka:9093'],
      clientId: 'relay-1',
      requestTimeoutMs: 7000,
      connectionTimeoutMs: 2000,
      sasl: { mechanism: 'scram-sha-512', jaasConfig: JAAS },
      ssl: { enabled: true, caFile: '/ca.pem' },
    });
    const cfg = clientConfig(o, silentLogger(), () => Buffer.from('CA'));
    expect(cfg).toMatchObject({
      clientId: 'relay-1',
      brokers: ['kafka:9093'],
      requestTimeout: 7000,
      connectionTimeout: 2000,
      retry: { retries: 0 },
      sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 'pw-from-secret' },
      ssl: { ca: Buffer.from('CA') },
    });
  });

  it('plain connection: neither ssl nor sasl', () => {
    const cfg = clientConfig(resolveKafkaOptions({ brokers: ['127.0.0.1:9092'] }), silentLogger());
    expect(cfg.ssl).toBeUndefined();
    expect(cfg.sasl).toBeUndefined();
  });
});
