/**
 * oslo's routable addresses against a rhea peer playing qpid-dispatch-router: default
 * addresses, credit split, SASL, idle timeout, and the outcomes a router would see.
 */
import { applyVimDefaults } from '../../../../src/config/vim.js';
import { DEAD_LETTER_CONDITION } from '../../../../src/transport/amqp10/listener.js';
import type { Delivery } from '../../../../src/transport/types.js';
import { uniqueName } from '../../../helpers/amqp.js';
import { sleep, waitFor } from '../../../helpers/wait.js';
import { Harness, collect } from './support.js';
import { creditOf, startPeer, type Peer } from './peer.js';

const h = new Harness();
let peer: Peer;
beforeEach(async () => {
  peer = await startPeer();
});
afterEach(async () => {
  await h.dispose();
  await peer.close();
});

const INFO = 'openstack.org/om/notify/anycast/nova/notifications.info';
const ERROR = 'openstack.org/om/notify/anycast/nova/notifications.error';

function routableVim(url: string, extra: { topics?: string[]; priorities?: string[] } = {}) {
  return applyVimDefaults({ id: uniqueName('vim'), transportUrl: url, exchange: 'nova', ...extra });
}

describe('routable addresses (qpid-dispatch style)', () => {
  it("attaches oslo's default addresses with the prefetch split as credit, logging in with PLAIN", async () => {
    const listener = h.listener(
      routableVim(`amqp://relay:relay-pw@127.0.0.1:${peer.port}/?heartbeat_timeout_threshold=4`),
      { prefetch: 10 },
    );
    await collect(listener);
    expect(listener.status.status).toBe('REACHABLE');
    expect(peer.logins).toEqual(['relay']);
    await waitFor(() => peer.links.length === 4 && peer.links.every((l) => creditOf(l) > 0), 'credit on 4 links');
    const credit = Object.fromEntries(peer.links.map((l) => [l.source.address, creditOf(l)]));
    expect(credit).toEqual({
      [INFO]: 3,
      [ERROR]: 3,
      'openstack.org/om/notify/anycast/nova/versioned_notifications.info': 2,
      'openstack.org/om/notify/anycast/nova/versioned_notifications.error': 2,
    });
    const conn = peer.connections[0];
    expect(conn.remote.open.idle_time_out).toBe(2000);
    expect(conn.remote.open.container_id).toBe(`vim-event-relay-${listener.vimId}`);
  });

  it('logs in with SASL ANONYMOUS when the URL has no user', async () => {
    const listener = h.listener(
      routableVim(`amqp://127.0.0.1:${peer.port}/`, { topics: ['notifications'], priorities: ['info'] }),
    );
    await collect(listener);
    expect(listener.status.status).toBe('REACHABLE');
    expect(peer.logins).toEqual([]);
    expect(
      (peer.connections[0] as unknown as { sasl_transport?: { username?: string } }).sasl_transport?.username,
    ).toMatch(/anonymous$/);
  });

  it('settles as accepted, released, and rejected with the reason for a dead letter', async () => {
    const listener = h.listener(
      routableVim(`amqp://relay:relay-pw@127.0.0.1:${peer.port}/`, { topics: ['notifications'] }),
    );
    const got = await collect(listener);
    await waitFor(() => peer.links.length === 2 && peer.links.every((l) => creditOf(l) > 0), 'credit');
    peer.send(INFO, { body: '{"n":1}' });
    peer.send(INFO, { body: '{"n":2}', delivery_count: 1 });
    peer.send(ERROR, { body: { n: 3 } });
    await waitFor(() => got.length === 3, '3 deliveries');
    const bySource = (s: string) => got.filter((d: Delivery) => d.source === s);
    expect(bySource(INFO).map((d) => [d.body.toString(), d.redelivered])).toEqual([
      ['{"n":1}', false],
      ['{"n":2}', true],
    ]);
    expect(bySource(ERROR).map((d) => d.body.toString())).toEqual(['{"n":3}']);

    got[0].ack();
    got[1].requeue();
    await got[2].deadLetter({ code: 'NOT_A_NOTIFICATION', message: 'lacks event_type' });
    await waitFor(() => peer.outcomes.length === 3, '3 outcomes at the peer');
    expect(peer.outcomes.map((o) => o.kind).sort()).toEqual(['accepted', 'rejected', 'released']);
    const rejected = peer.outcomes.find((o) => o.kind === 'rejected')!;
    const error = (
      rejected.delivery.remote_state as unknown as {
        error: { condition: string; description: string; info: Record<string, unknown> };
      }
    ).error;
    expect(error.condition).toBe(DEAD_LETTER_CONDITION);
    expect(error.description).toBe('NOT_A_NOTIFICATION: lacks event_type');
    expect(error.info).toEqual({ 'x-relay-reason-code': 'NOT_A_NOTIFICATION', 'x-relay-reason': 'lacks event_type' });
    expect(listener.unsettled()).toBe(0);
  });

  it('returns one credit per settled delivery to the link it came from', async () => {
    const listener = h.listener(
      routableVim(`amqp://relay:relay-pw@127.0.0.1:${peer.port}/`, { topics: ['notifications'], priorities: ['info'] }),
      { prefetch: 3 },
    );
    const got = await collect(listener);
    await waitFor(() => creditOf(peer.links[0]) === 3, 'credit 3');
    for (let i = 0; i < 3; i++) peer.send(INFO, { body: `{"n":${i}}` });
    await waitFor(() => got.length === 3, '3 deliveries');
    expect(creditOf(peer.links[0])).toBe(0);
    got[0].ack();
    await waitFor(() => creditOf(peer.links[0]) === 1, 'one credit back');
    await sleep(100);
    expect(creditOf(peer.links[0])).toBe(1);
    expect(listener.unsettled()).toBe(2);
  });
});
