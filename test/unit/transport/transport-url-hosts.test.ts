/** Hosts and ports of a transport_url are checked: nothing malformed reaches the socket layer. */
import { parseTransportUrl, TransportUrlError } from '../../../src/transport/transport-url.js';

describe('parseTransportUrl: hosts and ports', () => {
  it.each([
    ['rabbit://user:pw@@@:::/', /host ":::" is not a host name; an IPv6 address goes in brackets/],
    ['rabbit://u:p@fe80::1/', /an IPv6 address goes in brackets/],
    ['rabbit://u:p@h x:5672/', /host "h x" is not a host name or address/],
    ['rabbit://u:p@-h/', /host "-h" is not a host name/],
    ['rabbit://u:p@h..x/', /host "h..x" is not a host name/],
    ['rabbit://u:p@999.1.1.1/', /host "999.1.1.1" is not an IPv4 address/],
    ['rabbit://u:p@[zz::1]/', /host "\[zz::1\]" is not an IPv6 address/],
    ['rabbit://u:p@[::1]x/', /has "x" after its "]"/],
    ['rabbit://u:p@h:/', /host h has a ":" but no port/],
    ['rabbit://u:p@h:+5672/', /port "\+5672" of host h is not a number/],
    ['rabbit://u:p@h:5672.0/', /port "5672.0"/],
    ['rabbit://u:p@h:1:2/', /host "h:1:2" is not a host name/],
    ['rabbit://u:p@h1,u:p@:::5672/', /host ":::5672" is not a host name/],
  ])('refuses %j', (url, why) => {
    expect(() => parseTransportUrl(url)).toThrow(TransportUrlError);
    expect(() => parseTransportUrl(url)).toThrow(why);
  });

  it.each([
    ['rabbit://guest:guest@127.0.0.1:5672/', '127.0.0.1', 5672],
    ['rabbit://u:p@rabbit-1.example.org/', 'rabbit-1.example.org', 5672],
    ['rabbit://u:p@my_broker:5673/', 'my_broker', 5673],
    ['rabbit://u:p@[2001:db8::7]:5671/', '2001:db8::7', 5671],
    ['amqp://localhost/', 'localhost', 5672],
    ['rabbit://u:p@@ss@h/', 'h', 5672],
  ])('accepts %j', (url, hostname, port) => {
    expect(parseTransportUrl(url).hosts[0]).toMatchObject({ hostname, port });
  });
});
