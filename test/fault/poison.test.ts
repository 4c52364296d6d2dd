/**
 * Poison input against the built daemon: every kind of body that can never be published goes
 * to the VIM's dead-letter queue with its reason in the headers and a metric, the queue drains,
 * the daemon stays up, and the good notifications around them all arrive.
 */
import { jest } from '@jest/globals';
import type { GetMessage } from 'amqplib';
import { withChannel } from '../helpers/amqp.js';
import { startFaultServer, type FaultServer } from '../helpers/fault-http.js';
import { OSLO_PUBLISH_OPTIONS } from '../helpers/fixtures.js';
import { ids, notificationBody, queueState, RelayUnderTest, report, tally } from '../helpers/relay-under-test.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(120000);

let fault: FaultServer;
let relay: RelayUnderTest;

beforeAll(async () => {
  fault = await startFaultServer();
  relay = new RelayUnderTest({ dmaapUrl: fault.url });
  await relay.start();
});

afterAll(async () => {
  await relay?.cleanup();
  await fault?.close();
});

const good = JSON.parse(JSON.parse(notificationBody('x').toString())['oslo.message']) as Record<string, unknown>;
const v2 = (message: unknown, version: unknown = '2.0') =>
  Buffer.from(JSON.stringify({ 'oslo.version': version, 'oslo.message': message }));
const without = (key: string) =>
  v2(JSON.stringify(Object.fromEntries(Object.entries(good).filter(([k]) => k !== key))));

/** name, body, the reason code it must be dead-lettered with. */
const POISON: [string, Buffer, string][] = [
  ['not JSON', Buffer.from('this is not json'), 'NOT_JSON'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'NOT_JSON'],
  ['envelope version 1.0', v2(JSON.stringify(good), '1.0'), 'BAD_ENVELOPE'],
  ['oslo.message an object, not a JSON string', v2(good), 'BAD_ENVELOPE'],
  ['oslo.message a string that is not JSON', v2('{"event_type": "compute.instance'), 'BAD_ENVELOPE'],
  ['no event_type', without('event_type'), 'NOT_A_NOTIFICATION'],
  ['no payload', without('payload'), 'NOT_A_NOTIFICATION'],
  ['payload a string', v2(JSON.stringify({ ...good, payload: 'nova_object.data' })), 'NOT_A_NOTIFICATION'],
  ['payload an array', v2(JSON.stringify({ ...good, payload: [good.payload] })), 'NOT_A_NOTIFICATION'],
  [
    'a 1.5 MB body',
    Buffer.concat([Buffer.from('{"pad":"'), Buffer.alloc(1536 * 1024, 0x61), Buffer.from('"}')]),
    'BODY_TOO_LARGE',
  ],
];

test('each poison body is dead-lettered with its reason header and a metric; the queue drains, the daemon stays up, the good ones arrive', async () => {
  const sent = ids('between-poison', POISON.length + 1);
  await withChannel(async (ch) => {
    for (let i = 0; i < POISON.length; i++) {
      ch.publish(relay.exchange, 'versioned_notifications.info', notificationBody(sent[i]), OSLO_PUBLISH_OPTIONS);
      ch.publish(relay.exchange, 'notifications.info', POISON[i][1], {
        ...OSLO_PUBLISH_OPTIONS,
        messageId: `poison-${i}`,
      });
    }
    ch.publish(
      relay.exchange,
      'versioned_notifications.info',
      notificationBody(sent[POISON.length]),
      OSLO_PUBLISH_OPTIONS,
    );
  });

  await waitFor(
    async () => (await queueState(relay.dlq)).ready === POISON.length,
    `${POISON.length} dead letters`,
    30000,
    100,
  );
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    'the good notifications around them',
  );
  await relay.untilDrained();

  const dead = await withChannel(async (ch) => {
    const out = new Map<string, { code: unknown; reason: unknown; bytes: number }>();
    for (let m = await ch.get(relay.dlq, { noAck: true }); m; m = await ch.get(relay.dlq, { noAck: true })) {
      const h = m.properties.headers ?? {};
      out.set(String(m.properties.messageId), {
        code: h['x-relay-reason-code'],
        reason: h['x-relay-reason'],
        bytes: m.content.length,
      });
    }
    return out;
  });
  POISON.forEach(([name, body, code], i) => {
    const d = dead.get(`poison-${i}`);
    expect({ name, code: d?.code, bytes: d?.bytes }).toEqual({ name, code, bytes: body.length });
    expect(String(d?.reason)).not.toBe('');
  });
  const byCode = new Map<string, number>();
  for (const [, , code] of POISON) byCode.set(code, (byCode.get(code) ?? 0) + 1);
  for (const [code, n] of byCode) {
    expect({
      code,
      n: await relay.metric('vim_event_relay_notifications_dead_lettered_total', { vim: relay.vimId, code }),
    }).toEqual({ code, n });
  }

  expect(relay.daemon.proc.exitCode).toBeNull();
  expect((await relay.get('/healthz')).status).toBe(200);
  expect((await relay.get('/readyz?strict=1')).status).toBe(200);
  const t = tally(sent, fault.accepted(relay.topic));
  report(`poison x${POISON.length} between good notifications`, t, `dead-lettered ${dead.size} with reason headers`);
  expect(t.missing).toEqual([]);
});

test('the dead-letter queue deleted under the daemon: the returned copy is retried into the re-declared queue, nothing is stuck', async () => {
  await withChannel((ch) => ch.deleteQueue(relay.dlq));
  const sent = ids('after-dlq-deleted', 2);
  await withChannel(async (ch) => {
    ch.publish(relay.exchange, 'versioned_notifications.info', notificationBody(sent[0]), OSLO_PUBLISH_OPTIONS);
    ch.publish(relay.exchange, 'notifications.info', Buffer.from('still not json'), {
      ...OSLO_PUBLISH_OPTIONS,
      messageId: 'poison-after-delete',
    });
    ch.publish(relay.exchange, 'versioned_notifications.info', notificationBody(sent[1]), OSLO_PUBLISH_OPTIONS);
  });
  const copy = await waitFor(
    async (): Promise<GetMessage | undefined> =>
      (await withChannel((ch) => ch.get(relay.dlq, { noAck: true })).catch(() => false as const)) || undefined,
    'the copy in the re-declared dead-letter queue',
    30000,
    200,
  );
  expect(copy.properties.messageId).toBe('poison-after-delete');
  expect(copy.properties.headers?.['x-relay-reason-code']).toBe('NOT_JSON');
  expect(relay.daemon.lines.some((l) => String(l.message).startsWith('dead-letter copy not confirmed'))).toBe(true);
  await waitFor(
    () => tally(sent, fault.accepted(relay.topic)).missing.length === 0,
    'the good notifications around it',
  );
  await relay.untilDrained();
  expect(await queueState(relay.dlq)).toEqual({ ready: 0, consumers: 0 });
});
