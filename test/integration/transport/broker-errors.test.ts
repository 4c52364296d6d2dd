/**
 * What a VIM's UNREACHABLE reason says when the broker refuses, for both protocols, against the
 * local RabbitMQ: an unknown virtual host, a virtual host the user may not use (made with
 * rabbitmqctl for this test), a wrong password, nothing listening. A broker without AMQP 1.0 is
 * the one fault the local broker cannot produce (its rabbitmq_amqp1_0 plugin is on): a loopback
 * peer answers the 1.0 header the way RabbitMQ without the plugin does, with the 0-9-1 header.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import winston from 'winston';
import { createListener } from '../../../src/transport/create-listener.js';
import type { VimListener } from '../../../src/transport/types.js';
import { silentLogger, type Logger } from '../../../src/util/logger.js';
import { FAST_TRANSPORT, testVim, uniqueName } from '../../helpers/amqp.js';
import { waitFor } from '../../helpers/wait.js';

const ctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 30000 });
const lockedVhost = uniqueName('relay-locked');
const listeners: VimListener[] = [];

beforeAll(async () => {
  // A vhost guest has no permissions on.
  await ctl('add_vhost', lockedVhost);
}, 60000);

afterAll(async () => {
  await ctl('delete_vhost', lockedVhost).catch(() => undefined);
}, 60000);

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

/** Nothing is declared: every case fails before the relay would declare anything. */
async function reasonFor(transportUrl: string, logger: Logger = silentLogger()): Promise<string> {
  const { vim } = testVim({
    transportUrl,
    addresses: transportUrl.startsWith('amqp') ? ['/amq/queue/relay-none'] : [],
  });
  const l = createListener(vim, { ...FAST_TRANSPORT, connectTimeoutMs: 8000 }, logger);
  listeners.push(l);
  await l.start(() => undefined);
  await waitFor(() => l.status.status === 'UNREACHABLE', `UNREACHABLE for ${transportUrl}`);
  return l.status.reason!;
}

describe.each([['rabbit'], ['amqp']])('%s:// VIM', (scheme) => {
  it('an unknown virtual host: says it does not exist or the user has no access, and how to fix it', async () => {
    const vhost = uniqueName('relay-missing');
    const reason = await reasonFor(`${scheme}://guest:guest@127.0.0.1:5672/${vhost}`);
    expect(reason).toContain(
      `127.0.0.1:5672: virtual host "${vhost}" does not exist or user "guest" has no access to it`,
    );
    expect(reason).toContain(`rabbitmqctl add_vhost ${vhost}`);
    expect(reason).toContain(`rabbitmqctl set_permissions -p ${vhost} guest ".*" ".*" ".*"`);
    expect(reason).toContain('or correct the virtual host in the transport_url');
  });

  it('a virtual host the user has no permissions on: the same explanation', async () => {
    const reason = await reasonFor(`${scheme}://guest:guest@127.0.0.1:5672/${lockedVhost}`);
    expect(reason).toContain(`virtual host "${lockedVhost}" does not exist or user "guest" has no access to it`);
  });

  it('a wrong password: login refused for the user, the password neither in the reason nor in the log', async () => {
    const password = 'Wr0ng-Secret-42';
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    // A plain winston logger: the listener itself must keep the password out.
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream })],
    });
    const reason = await reasonFor(`${scheme}://guest:${password}@127.0.0.1:5672/`, logger);
    const refusal = scheme === 'rabbit' ? 'ACCESS_REFUSED' : 'amqp:unauthorized-access';
    expect(reason).toContain(
      `127.0.0.1:5672: login refused for user "guest" (${refusal}): check the user name and password in the transport_url (the password is not shown)`,
    );
    await waitFor(() => lines.some((l) => l.includes('login refused')), 'the log line');
    expect(reason).not.toContain(password);
    expect(lines.join('')).not.toContain(password);
  });

  it('nothing listening: connection refused, naming the host', async () => {
    const reason = await reasonFor(`${scheme}://guest:guest@127.0.0.1:1/`);
    expect(reason).toMatch(
      /^127\.0\.0\.1:1: connection refused \(ECONNREFUSED\): nothing listens on that host and port; check the transport_url and that the broker is running/,
    );
  });
});

describe('amqp:// VIM against a broker without AMQP 1.0', () => {
  let peer: net.Server;
  afterEach(async () => {
    await new Promise<void>((resolve) => peer.close(() => resolve()));
  });

  it('says the broker speaks only 0-9-1: enable rabbitmq_amqp1_0 or use rabbit://', async () => {
    peer = net.createServer((s) => {
      s.on('error', () => undefined);
      // RabbitMQ without the plugin answers an unknown protocol header with its own and closes.
      s.once('data', () => s.end(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])));
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as net.AddressInfo).port;
    const reason = await reasonFor(`amqp://guest:guest@127.0.0.1:${port}/`);
    expect(reason).toContain(
      `127.0.0.1:${port}: the broker speaks only AMQP 0-9-1, not AMQP 1.0: enable RabbitMQ's AMQP 1.0 plugin (rabbitmq-plugins enable rabbitmq_amqp1_0), or use rabbit:// in the transport_url`,
    );
  });
});
