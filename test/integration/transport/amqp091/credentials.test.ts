/**
 * A transport_url with percent-encoded credentials and vhost, against a user and vhost made
 * with rabbitmqctl for this test only (and deleted afterwards).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import { applyVimDefaults } from '../../../../src/config/vim.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { silentLogger } from '../../../../src/util/logger.js';
import { FAST_TRANSPORT, osloBody, publishOslo, tagOf, uniqueName, withChannel } from '../../../helpers/amqp.js';
import { waitFor } from '../../../helpers/wait.js';

const run = promisify(execFile);
const ctl = (...args: string[]) => run('rabbitmqctl', ['-q', ...args], { timeout: 30000 });

const user = uniqueName('relay-user');
const password = 'p@ss:w/rd%1 ?#';
const vhost = `${uniqueName('relay')}/vh`;

beforeAll(async () => {
  await ctl('add_vhost', vhost);
  await ctl('add_user', user, password);
  await ctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
}, 60000);

afterAll(async () => {
  await ctl('delete_user', user).catch(() => undefined);
  await ctl('delete_vhost', vhost).catch(() => undefined);
}, 60000);

it('connects with percent-encoded user, password and vhost, and consumes in that vhost', async () => {
  const enc = encodeURIComponent;
  const vim = applyVimDefaults({
    id: uniqueName('vim'),
    transportUrl: `rabbit://${enc(user)}:${enc(password)}@127.0.0.1:5672/${enc(vhost)}`,
  });
  const listener = new Amqp091Listener(vim, FAST_TRANSPORT, silentLogger());
  const got: Delivery[] = [];
  try {
    await listener.start((d) => got.push(d));
    await waitFor(() => listener.status.status === 'REACHABLE', 'REACHABLE', 15000);
    // amqplib's string URL form decodes user, password and vhost itself.
    await withChannel(
      async (ch) => void publishOslo(ch, vim.exchange, 'notifications.info', osloBody('vh')),
      `amqp://${enc(user)}:${enc(password)}@127.0.0.1:5672/${enc(vhost)}`,
    );
    await waitFor(() => got.length === 1, 'a delivery');
    expect(tagOf(got[0])).toBe('msg-vh');
    got[0].ack();
  } finally {
    await listener.close();
  }
}, 60000);
