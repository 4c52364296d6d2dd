import { DEFAULT_TRANSPORT_OPTIONS } from '../../../../src/transport/options.js';
import { parseTransportUrl } from '../../../../src/transport/transport-url.js';
import { connectPlan, idleTimeoutMs } from '../../../../src/transport/amqp10/connect-options.js';

const opts = { ...DEFAULT_TRANSPORT_OPTIONS, heartbeatSeconds: 60 };
type Loose = Record<string, unknown>;
const loose = (o: unknown): Loose => o as Loose;

describe('connectPlan', () => {
  const url = parseTransportUrl('amqp://alice:s3cr%40t@h1:5672,bob:pw2@h2:5673/');

  it('takes the hosts round robin, each with its own credentials', () => {
    const plans = [0, 1, 2].map((i) => connectPlan(url, i, opts, 'vim-1'));
    expect(plans.map((p) => p.label)).toEqual(['h1:5672', 'h2:5673', 'h1:5672']);
    const [first, second] = plans.map((p) => loose(p.options));
    expect(first).toMatchObject({ host: 'h1', port: 5672, username: 'alice', password: 's3cr@t', reconnect: false });
    expect(second).toMatchObject({ host: 'h2', port: 5673, username: 'bob', password: 'pw2' });
  });

  it('never puts a password in the label', () => {
    expect(connectPlan(url, 0, opts, 'v').label).not.toContain('s3cr');
  });

  it('uses SASL ANONYMOUS when the URL has no user', () => {
    const o = loose(connectPlan(parseTransportUrl('amqp://127.0.0.1:5672/'), 0, opts, 'v').options);
    expect(o.username).toBeUndefined();
    expect(o.sasl_mechanisms).toHaveProperty('ANONYMOUS');
    expect(o.sasl_mechanisms).not.toHaveProperty('PLAIN');
  });

  it('selects a RabbitMQ virtual host through the open hostname', () => {
    expect(loose(connectPlan(parseTransportUrl('amqp://u:p@h/'), 0, opts, 'v').options).hostname).toBeUndefined();
    expect(loose(connectPlan(parseTransportUrl('amqp://u:p@h/openstack'), 0, opts, 'v').options).hostname).toBe(
      'vhost:openstack',
    );
  });

  it('reads the oslo TLS files for amqps://', () => {
    const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' };
    const read = (p: string) => {
      const content = files[p];
      if (content === undefined) throw new Error('ENOENT');
      return Buffer.from(content);
    };
    const tlsUrl = parseTransportUrl(
      'amqps://u:p@broker.example/?ssl_ca_file=/ca.pem&ssl_cert_file=/cert.pem&ssl_key_file=/key.pem&ssl_key_password=kp',
    );
    const o = loose(connectPlan(tlsUrl, 0, opts, 'v', read).options);
    expect(o).toMatchObject({ transport: 'tls', port: 5671, passphrase: 'kp' });
    expect(String(o.ca)).toBe('CA');
    expect(String(o.cert)).toBe('CERT');
    expect(String(o.key)).toBe('KEY');
  });

  it('sends no SNI name for an IP address (RFC 6066) but keeps it for a DNS name', () => {
    const read = () => Buffer.from('CA');
    expect(
      loose(connectPlan(parseTransportUrl('amqps://u:p@127.0.0.1/?ssl_ca_file=/ca'), 0, opts, 'v', read).options)
        .servername,
    ).toBe('');
    expect(
      loose(connectPlan(parseTransportUrl('amqps://u:p@broker.example/?ssl_ca_file=/ca'), 0, opts, 'v', read).options)
        .servername,
    ).toBeUndefined();
  });

  it('names the unreadable TLS file, as the 0-9-1 transport does', () => {
    const tlsUrl = parseTransportUrl('amqps://u:p@h/?ssl_ca_file=/missing.pem');
    const enoent = () => {
      throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    };
    expect(() => connectPlan(tlsUrl, 0, opts, 'v', enoent)).toThrow(
      'ssl_ca_file "/missing.pem" from the transport_url cannot be read (ENOENT); fix the path or the file\'s permissions',
    );
  });

  it('wants a client certificate together with its key, as the 0-9-1 transport does', () => {
    const tlsUrl = parseTransportUrl('amqps://u:p@h/?ssl_cert_file=/cert.pem');
    expect(() => connectPlan(tlsUrl, 0, opts, 'v', () => Buffer.from('CERT'))).toThrow(
      /ssl_cert_file and ssl_key_file must be given together/,
    );
  });

  it('uses plain TCP for amqp:// without ssl', () => {
    expect(loose(connectPlan(url, 0, opts, 'v').options).transport).toBeUndefined();
  });
});

describe('idleTimeoutMs', () => {
  it.each([
    ['amqp://h/', 60, 30000],
    ['amqp://h/?heartbeat_timeout_threshold=10', 60, 5000],
    ['amqp://h/?heartbeat_timeout_threshold=0', 60, 0],
    ['amqp://h/', 0, 0],
  ])(
    '%s with heartbeatSeconds %i announces %i ms (half the threshold: rhea allows twice that)',
    (u, heartbeatSeconds, expected) => {
      expect(idleTimeoutMs(parseTransportUrl(u), { ...opts, heartbeatSeconds })).toBe(expected);
    },
  );

  it('is set on the connection options only when enabled', () => {
    expect(
      loose(connectPlan(parseTransportUrl('amqp://h/?heartbeat_timeout_threshold=4'), 0, opts, 'v').options)
        .idle_time_out,
    ).toBe(2000);
    expect(
      loose(connectPlan(parseTransportUrl('amqp://h/'), 0, { ...opts, heartbeatSeconds: 0 }, 'v').options)
        .idle_time_out,
    ).toBeUndefined();
  });
});
