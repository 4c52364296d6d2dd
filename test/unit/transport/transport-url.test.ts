import {
  hostLabel,
  parseTransportUrl,
  redactTransportUrl,
  TransportUrlError,
} from '../../../src/transport/transport-url.js';

describe('parseTransportUrl', () => {
  it('reads several hosts, each with its own credentials, for failover', () => {
    const u = parseTransportUrl('rabbit://a:pa@h1:5672,b:pb@h2:5673/nova');
    expect(u).toMatchObject({ scheme: 'rabbit', kind: 'amqp091', vhost: 'nova', tls: false });
    expect(u.hosts).toEqual([
      { hostname: 'h1', port: 5672, username: 'a', password: 'pa' },
      { hostname: 'h2', port: 5673, username: 'b', password: 'pb' },
    ]);
  });

  it('gives a host written without credentials those of the first host that has them', () => {
    const u = parseTransportUrl('rabbit://h1,u:p@h2/');
    expect(u.hosts.map((h) => [h.hostname, h.username, h.password])).toEqual([
      ['h1', 'u', 'p'],
      ['h2', 'u', 'p'],
    ]);
  });

  it.each([
    ['rabbit://u:p@[::1]:5673/', '::1', 5673],
    ['rabbit://[fe80::1]/', 'fe80::1', 5672],
    ['rabbit://u:p@[2001:db8::7]/', '2001:db8::7', 5672],
  ])('reads the IPv6 host of %s', (url, hostname, port) => {
    expect(parseTransportUrl(url).hosts[0]).toMatchObject({ hostname, port });
  });

  it('percent-decodes user name, password and vhost', () => {
    const u = parseTransportUrl('rabbit://nova%40svc:p%40ss%3Aw%2Frd%25@h/%2Fopenstack%20vh');
    expect(u.hosts[0]).toMatchObject({ username: 'nova@svc', password: 'p@ss:w/rd%' });
    expect(u.vhost).toBe('/openstack vh');
  });

  it.each([
    ['rabbit://h', '/'],
    ['rabbit://h/', '/'],
    ['rabbit://h/%2F', '/'],
    ['rabbit://h/nova', 'nova'],
  ])('vhost of %s is %s', (url, vhost) => {
    expect(parseTransportUrl(url).vhost).toBe(vhost);
  });

  it.each([
    ['rabbit://h/?ssl=1', true, 5671],
    ['rabbit://h/?ssl=True', true, 5671],
    ['rabbit://h/?ssl=0', false, 5672],
    ['rabbit://h:5999/?ssl=1', true, 5999],
    ['amqps://h/', true, 5671],
    ['amqp://h/', false, 5672],
  ])('%s: tls=%s, default port %s', (url, tls, port) => {
    const u = parseTransportUrl(url);
    expect(u.tls).toBe(tls);
    expect(u.hosts[0].port).toBe(port);
  });

  it('keeps oslo query options', () => {
    const u = parseTransportUrl('rabbit://u:p@h/?ssl=1&ssl_ca_file=/etc/ca.pem&heartbeat_timeout_threshold=30');
    expect(u.query).toEqual({ ssl: '1', ssl_ca_file: '/etc/ca.pem', heartbeat_timeout_threshold: '30' });
  });

  it.each([
    ['rabbit://h/', undefined],
    ['rabbit://h/?heartbeat_timeout_threshold=', undefined],
    ['rabbit://h/?heartbeat_timeout_threshold=15', 15],
    ['amqp://h/?heartbeat_timeout_threshold=0', 0],
  ])('%s: heartbeat %s s', (url, seconds) => {
    expect(parseTransportUrl(url).heartbeatSeconds).toBe(seconds);
  });

  // The same check for both transports, when the URL is parsed: check-config and the admin API
  // refuse it, rather than one transport failing at connect time and the other ignoring it.
  it.each(['rabbit', 'amqp'])(
    '%s://: a heartbeat_timeout_threshold that is not whole seconds is refused, naming it',
    (scheme) => {
      for (const v of ['abc', '-1', '1.5', '1e3', ' ']) {
        expect(() => parseTransportUrl(`${scheme}://h/?heartbeat_timeout_threshold=${encodeURIComponent(v)}`)).toThrow(
          `heartbeat_timeout_threshold "${v}" is not a whole number of seconds; write e.g. heartbeat_timeout_threshold=60 (0 disables heartbeats)`,
        );
      }
    },
  );

  it.each([
    ['rabbit://h/', 'amqp091'],
    ['kombu://h/', 'amqp091'],
    ['RABBIT://h/', 'amqp091'],
    ['amqp://h/', 'amqp10'],
    ['amqps://h/', 'amqp10'],
  ])('%s selects %s', (url, kind) => {
    expect(parseTransportUrl(url).kind).toBe(kind);
  });

  it.each([
    ['', /expected scheme:\/\//],
    ['not a url', /expected scheme:\/\//],
    ['http://h/', /scheme "http" is not supported; use rabbit:\/\//],
    ['rabbit://', /no host given/],
    ['rabbit://h,/', /a host is empty/],
    ['rabbit://u:p@/', /a host is empty/],
    ['rabbit://h:0/', /port "0" of host h is not a number from 1 to 65535/],
    ['rabbit://h:99999/', /port "99999"/],
    ['rabbit://h:abc/', /port "abc"/],
    ['rabbit://[::1/', /unclosed IPv6 bracket/],
    ['rabbit://u:%zz@h/', /password is not valid percent-encoding/],
    ['rabbit://%zz:p@h/', /user name is not valid percent-encoding/],
    ['rabbit://h/%zz', /virtual host is not valid percent-encoding/],
  ])('rejects %j with a message saying what to fix', (url, message) => {
    expect(() => parseTransportUrl(url)).toThrow(TransportUrlError);
    expect(() => parseTransportUrl(url)).toThrow(message);
  });

  it('never puts the password into an error message', () => {
    expect(() => parseTransportUrl('rabbit://u:s3cret@h:70000/')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});

describe('redactTransportUrl', () => {
  it.each([
    ['rabbit://a:pa@h1:5672,b:pb@h2:5673/nova', 'rabbit://a:***@h1:5672,b:***@h2:5673/nova'],
    ['rabbit://u:p%40ss@[::1]:5671/', 'rabbit://u:***@[::1]:5671/'],
    ['rabbit://u:p@ss@h/', 'rabbit://u:***@h/'],
    ['rabbit://u:@h/', 'rabbit://u:***@h/'],
    ['rabbit://a:b@h1,h2/x?ssl=1', 'rabbit://a:***@h1,h2/x?ssl=1'],
    ['rabbit://h/', 'rabbit://h/'],
    ['rabbit://u@h/', 'rabbit://u@h/'],
    ['rabbit://[::1]:5672/', 'rabbit://[::1]:5672/'],
    ['amqps://svc:tok@broker:5671/?ssl_ca_file=/a/b', 'amqps://svc:***@broker:5671/?ssl_ca_file=/a/b'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactTransportUrl(url)).toBe(redacted);
  });

  it('does not throw on garbage', () => {
    expect(redactTransportUrl('::::@@@,,//')).toEqual(expect.any(String));
  });
});

describe('hostLabel', () => {
  it.each([
    [{ hostname: 'h', port: 5672 }, 'h:5672'],
    [{ hostname: 'h', port: 1 }, 'h:1'],
    [{ hostname: '::1', port: 5671 }, '[::1]:5671'],
  ])('%j -> %s, without credentials', (host, label) => {
    expect(hostLabel({ ...host, username: 'u', password: 'secret' })).toBe(label);
  });
});

describe('an error of parseTransportUrl quotes nothing of the user-info part', () => {
  // The user name and password are each a distinct word, so that any piece of either is seen.
  const USER = 'Us3rNam3';
  const PASS = 'Tr0ub4dor';
  it.each([
    `rabbit://${USER}:${PASS},x@nova:5672/`,
    `rabbit://${USER}:x,${PASS}@nova:5672/`,
    `rabbit://${USER}:${PASS}/x@nova:5672/`,
    `rabbit://${USER}:${PASS}?x@nova:5672/`,
    `rabbit://${USER}:${PASS}#x@nova:5672/`,
    `rabbit://u:p@h1,${USER}:${PASS},y@h2/`,
    `rabbit://${USER}:5672/${PASS}@nova/`,
    `rabbit://${USER}:5672?${PASS}@nova/`,
  ])('%s', (url) => {
    let message = '';
    try {
      parseTransportUrl(url);
    } catch (e) {
      expect(e).toBeInstanceOf(TransportUrlError);
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain(PASS);
    expect(message).not.toContain(USER);
  });

  it('still quotes a bad port of a host given without credentials, or after them', () => {
    expect(() => parseTransportUrl('rabbit://h:99999/')).toThrow('port "99999" of host h');
    expect(() => parseTransportUrl('rabbit://u:p@h:x/')).toThrow('port "x" of host h');
    expect(() => parseTransportUrl('rabbit://u:p@h1,h2:0/')).toThrow('port "0" of host h2');
  });
});
