/** dmaap-dev as a VES collector: real HTTP on loopback, the collector's schema, faults readable on SEC_FAULT_OUTPUT. */
import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';
import { vimOnset } from '../../../src/ves/events.js';
import { loadJson } from '../../helpers/fixtures.js';
import { vmFault } from '../../helpers/ves-events.js';

const TOPIC = 'unauthenticated.SEC_FAULT_OUTPUT';
let dev: DmaapDevServer;
let url: string;

beforeEach(async () => {
  dev = createDmaapDevServer({ maxBodyBytes: 64 * 1024 });
  ({ url } = await dev.listen());
});
afterEach(() => dev.close());

const fault = vmFault;

async function post(path: string, body: unknown, raw = false): Promise<{ status: number; text: string }> {
  const res = await fetch(url + path, {
    method: 'POST',
    body: raw ? String(body) : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  return { status: res.status, text: await res.text() };
}

async function consume(group: string): Promise<unknown[]> {
  const res = await fetch(`${url}/events/${TOPIC}/${group}/c1?timeout=0`);
  expect(res.status).toBe(200);
  return ((await res.json()) as string[]).map((m) => JSON.parse(m));
}

it('accepts one event with 202 and serves it on SEC_FAULT_OUTPUT as {"event": ...}', async () => {
  const e = fault(1);
  expect(await post('/eventListener/v7', { event: e })).toEqual({ status: 202, text: '' });
  expect(await consume('g1')).toEqual([{ event: e }]);
});

it('accepts a batch on /eventBatch, one message per event, in order', async () => {
  const events = [fault(1), fault(2), vimOnset({ vimId: 'vio-1', sinceMicros: 1, reason: 'r', atMicros: 2 }, 1000)];
  expect((await post('/eventListener/v7/eventBatch', { eventList: events })).status).toBe(202);
  expect(await consume('g2')).toEqual(events.map((event) => ({ event })));
});

it("accepts the collector's own valid batch", async () => {
  expect((await post('/eventListener/v7/eventBatch', loadJson('ves/ves7_batch_valid.json'))).status).toBe(202);
  expect(dev.messages(TOPIC)).toHaveLength(2);
});

it.each<[string, string, unknown, RegExp]>([
  [
    'a batch mixing domains',
    '/eventListener/v7/eventBatch',
    loadJson('ves/ves7_batch_valid_two_different_domain.json'),
    /mixes domains \(fault, stndDefined\)/,
  ],
  [
    'an event without sourceName',
    '/eventListener/v7',
    { event: { ...fault(1), commonEventHeader: { ...fault(1).commonEventHeader, sourceName: undefined } } },
    /event\.commonEventHeader\.sourceName is required/,
  ],
  [
    "VES 5 (MultiCloud's old agent)",
    '/eventListener/v7',
    { event: { ...fault(1), commonEventHeader: { ...fault(1).commonEventHeader, version: 3 } } },
    /version must be a string \(got 3\)/,
  ],
  ['a batch on the single-event path', '/eventListener/v7', { eventList: [fault(1)] }, /exactly one key, "event"/],
  ['an event on the batch path', '/eventListener/v7/eventBatch', { event: fault(1) }, /exactly one key, "eventList"/],
])('refuses %s with 400 naming the violation, and publishes nothing', async (_name, path, body, reason) => {
  const r = await post(path, body);
  expect(r.status).toBe(400);
  const answer = JSON.parse(r.text) as { requestError: { ServiceException: { text: string } } };
  expect(answer.requestError.ServiceException.text).toMatch(reason);
  expect(dev.messages(TOPIC)).toEqual([]);
});

it('refuses a body that is not JSON, and another method', async () => {
  expect((await post('/eventListener/v7', '{"event":', true)).status).toBe(400);
  const res = await fetch(`${url}/eventListener/v7`);
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('POST');
});
