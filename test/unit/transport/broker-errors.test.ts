/**
 * Readable texts for failed connection attempts, over the error objects amqplib 2.3, rhea 3.0
 * and Node really produce (captured against RabbitMQ 3.10 on 127.0.0.1; see the comments).
 */
import { createRequire } from 'node:module';
import { RelayError } from '../../../src/errors.js';
import {
  ConnectTimeoutError,
  explainConnectFailure,
  type AttemptContext,
} from '../../../src/transport/broker-errors.js';
import { Amqp10AttemptError } from '../../../src/transport/amqp10/session.js';

// rhea does not export its error classes; these are the ones it throws and reports.
const rheaErrors = createRequire(import.meta.url)('rhea/lib/errors.js') as {
  ConnectionError: new (message: string, condition: string, connection?: unknown) => Error;
  ProtocolError: new (message: string) => Error;
};

const ctx091: AttemptContext = {
  kind: 'amqp091',
  vhost: 'nova',
  username: 'relay',
  password: 'S3cr3t-pw',
  connectTimeoutMs: 10000,
};
const ctx10: AttemptContext = { ...ctx091, kind: 'amqp10' };

describe('explainConnectFailure', () => {
  it('AMQP 0-9-1 unknown vhost: names the vhost, rabbitmqctl add_vhost / set_permissions and the transport_url', () => {
    // amqplib's error for RabbitMQ's connection.close answering connection.open on a missing vhost.
    const err = new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    const { text, hostIndependent } = explainConnectFailure(err, ctx091);
    expect(text).toBe(
      'virtual host "nova" does not exist or user "relay" has no access to it: create it (rabbitmqctl add_vhost nova) and grant access ' +
        '(rabbitmqctl set_permissions -p nova relay ".*" ".*" ".*"), or correct the virtual host in the transport_url ' +
        '(broker said: Expected ConnectionOpenOk; got <ConnectionClose channel:0>)',
    );
    expect(hostIndependent).toBe(false);
  });

  it('AMQP 0-9-1 NOT_ALLOWED (530) is the vhost case too', () => {
    const err = new Error(
      'Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost nova not found"',
    );
    expect(explainConnectFailure(err, ctx091).text).toMatch(
      /^virtual host "nova" does not exist or user "relay" has no access to it: .*rabbitmqctl add_vhost nova/,
    );
  });

  it('AMQP 0-9-1 wrong user or password: ACCESS_REFUSED with the user and the fix, never the password', () => {
    const err = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );
    const { text } = explainConnectFailure(err, ctx091);
    expect(text).toMatch(
      /^login refused for user "relay" \(ACCESS_REFUSED\): check the user name and password in the transport_url \(the password is not shown\)/,
    );
    expect(text).toContain('broker said: Handshake terminated by server: 403');
    expect(text).not.toContain('S3cr3t-pw');
  });

  it('masks the host password wherever it appears', () => {
    const err = new Error('weird broker text echoing S3cr3t-pw and amqp://relay:S3cr3t-pw@h/');
    const { text } = explainConnectFailure(err, ctx091);
    expect(text).not.toContain('S3cr3t-pw');
  });

  it('connection refused (Node errno error): says nothing listens there and keeps the code', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      errno: -111,
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port: 1,
    });
    for (const ctx of [ctx091, ctx10]) {
      expect(explainConnectFailure(err, ctx).text).toBe(
        'connection refused (ECONNREFUSED): nothing listens on that host and port; check the transport_url and that the broker is running (connect ECONNREFUSED 127.0.0.1:1)',
      );
    }
  });

  it('AMQP 1.0 failed SASL login: the rhea ConnectionError (condition amqp:unauthorized-access), wrapped by the listener', () => {
    const sasl = new rheaErrors.ConnectionError('Failed to authenticate: 1', 'amqp:unauthorized-access');
    const err = new Amqp10AttemptError(
      'the broker closed the connection (amqp:unauthorized-access: Failed to authenticate: 1)',
      sasl,
    );
    const { text } = explainConnectFailure(err, ctx10);
    expect(text).toMatch(
      /^login refused for user "relay" \(amqp:unauthorized-access\): check the user name and password in the transport_url \(the password is not shown\)/,
    );
    expect(text).toContain('Failed to authenticate');
    expect(explainConnectFailure(sasl, { ...ctx10, username: undefined }).text).toContain(
      "the broker's default user (the URL names none)",
    );
  });

  it('AMQP 1.0 unknown_destination: RabbitMQ refuses a routable address, with the fix', () => {
    // What RabbitMQ 3.10's AMQP 1.0 plugin answered to an attach of oslo's routable address.
    const refused = {
      condition: 'amqp:invalid-field',
      description: 'Attach rejected: {unknown_destination,"openstack.org/om/notify/nova/notifications.info"}',
    };
    const err = new Amqp10AttemptError(
      `the broker refused the link (amqp:invalid-field: ${refused.description})`,
      refused,
    );
    const { text } = explainConnectFailure(err, ctx10);
    expect(text).toMatch(
      /^the broker does not know the address "openstack\.org\/om\/notify\/nova\/notifications\.info"/,
    );
    expect(text).toContain('/exchange/nova/notifications.info');
    expect(text).toContain('rabbit://');
    expect(text).toContain('unknown_destination');
  });

  it('AMQP 1.0 vhost the user cannot use: RabbitMQ closes after open with insufficient permissions', () => {
    const closed = new rheaErrors.ConnectionError(
      "Access for user 'relay' was refused: insufficient permissions",
      'amqp:unauthorized-access',
    );
    const err = new Amqp10AttemptError(
      `the broker closed the connection (amqp:unauthorized-access: ${closed.message})`,
      closed,
    );
    expect(explainConnectFailure(err, ctx10).text).toMatch(
      /^virtual host "nova" does not exist or user "relay" has no access to it: create it \(rabbitmqctl add_vhost nova\)/,
    );
  });

  it('AMQP 1.0 against a broker that answers with the 0-9-1 header: enable rabbitmq_amqp1_0 or use rabbit://', () => {
    const proto = new rheaErrors.ProtocolError('Unsupported AMQP version: 0-9-1');
    const err = new Amqp10AttemptError('protocol error: Unsupported AMQP version: 0-9-1', proto);
    const { text } = explainConnectFailure(err, ctx10);
    expect(text).toMatch(
      /^the broker speaks only AMQP 0-9-1, not AMQP 1.0: enable RabbitMQ's AMQP 1.0 plugin \(rabbitmq-plugins enable rabbitmq_amqp1_0\), or use rabbit:\/\//,
    );
    // rhea reports it again on 'disconnected', with the bare ProtocolError.
    expect(explainConnectFailure(new Amqp10AttemptError(proto.message, proto), ctx10).text).toMatch(
      /^the broker speaks only AMQP 0-9-1/,
    );
  });

  it("a timeout (the supervisor's, or amqplib's socket timeout) names transport.connectTimeoutMs", () => {
    expect(explainConnectFailure(new ConnectTimeoutError(2500), ctx091).text).toMatch(
      /^no answer within 2500 ms \(transport\.connectTimeoutMs\)/,
    );
    expect(explainConnectFailure(new Error('connect ETIMEDOUT'), ctx091).text).toMatch(
      /^no answer within 10000 ms \(transport\.connectTimeoutMs\)/,
    );
  });

  it('our own errors pass through; a configuration error is the same on every host', () => {
    const tls = new RelayError(
      'CONFIG_INVALID',
      'ssl_ca_file "/x.pem" from the transport_url cannot be read (ENOENT); fix the path or the file\'s permissions',
    );
    expect(explainConnectFailure(tls, ctx091)).toEqual({ text: tls.message, hostIndependent: true });
    const refused = new RelayError(
      'BROKER_REFUSED',
      'the broker refused to declare queue "q": ... (broker said: ACCESS_REFUSED - access to queue q refused)',
    );
    expect(explainConnectFailure(refused, ctx091)).toEqual({ text: refused.message, hostIndependent: false });
  });

  it("anything else keeps the library's words (TLS certificate errors and the like)", () => {
    const err = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(explainConnectFailure(err, ctx091).text).toBe('unable to verify the first certificate');
  });
});
