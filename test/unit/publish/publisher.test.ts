/**
 * DmaapPublisher's scheduling (linger, sealing, request slots, split, retry, close, caps) with a
 * scripted BatchPoster and jest fake timers, as nodejs-pubsub tests its publisher: these are
 * timing decisions a real Message Router cannot produce on demand (the HTTP path itself is
 * covered by test/integration against the dev Message Router).
 *
 * queueMicrotask, nextTick and setImmediate stay real: p-queue starts tasks from microtasks, and
 * a real setImmediate lets a test drain every promise chain before it looks.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DmaapPublisher } from '../../../src/publish/dmaap/publisher.js';
import type { DmaapPublisherOptions } from '../../../src/publish/dmaap/options.js';
import type { RequestEvent, RetryEvent } from '../../../src/publish/destination.js';
import { PermanentPublishError } from '../../../src/publish/types.js';
import { DestinationClosedError, DestinationOverloadedError } from '../../../src/publish/destination.js';
import { kinds, rejection, ScriptedClient, watch, type Responder } from './scripted-client.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  await flush();
}

const m = (i: number): string => `{"n":${i}}`;
/** How the last request to `topic` was answered: what a record of it that resolved was accepted with. */
const lastAnswer = (requests: readonly RequestEvent[], topic: string) =>
  requests
    .filter((r) => r.topic === topic)
    .map((r) => ({ status: r.status, outcome: r.outcome }))
    .at(-1);

function setup(options: Partial<DmaapPublisherOptions> = {}, responder?: Responder) {
  const client = new ScriptedClient(responder);
  const requests: RequestEvent[] = [];
  const retries: RetryEvent[] = [];
  const pub = new DmaapPublisher(
    {
      url: 'http://127.0.0.1:1',
      lingerMs: 10,
      random: () => 0.5,
      retryInitialMs: 100,
      retryMaxMs: 1000,
      hooks: { onRequest: (e) => void requests.push(e), onRetry: (e) => void retries.push(e) },
      ...options,
    },
    undefined,
    client,
  );
  return { client, pub, requests, retries };
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate', 'clearImmediate'], now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('DmaapPublisher batching', () => {
  it('holds a batch lingerMs for company, then sends it as one request', async () => {
    const { client, pub, requests } = setup();
    const a = watch(pub.send({ topic: 'T', json: m(1) }));
    await advance(4);
    const b = watch(pub.send({ topic: 'T', json: m(2) }));
    await advance(5);
    expect(client.calls).toHaveLength(0);
    await advance(1);
    expect(client.calls.map((c) => [c.topic, c.jsons])).toEqual([['T', [m(1), m(2)]]]);
    expect(kinds([a, b])).toEqual(['pending', 'pending']);
    client.calls[0].reply(200);
    await flush();
    expect(kinds([a, b])).toEqual(['resolved', 'resolved']);
    expect(requests.map((r) => [r.topic, r.count, r.status, r.outcome])).toEqual([['T', 2, 200, 'success']]);
    expect(pub.pending()).toBe(0);
  });

  it('seals a batch at once when it reaches batchMaxMessages', async () => {
    const { client, pub } = setup({ batchMaxMessages: 3, lingerMs: 1000 });
    for (let i = 1; i <= 4; i++) void pub.send({ topic: 'T', json: m(i) });
    await flush();
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1), m(2), m(3)]]);
    await advance(999);
    expect(client.calls).toHaveLength(1);
    await advance(1);
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1), m(2), m(3)], [m(4)]]);
  });

  it('seals a batch at once when the next message would take the body past batchMaxBytes, and sends a too-big message alone', async () => {
    // '{"n":1}' is 7 bytes: [a,b] is 2 + 7 + 1 + 7 = 17 bytes; a third would make 25.
    const { client, pub } = setup({ batchMaxBytes: 20, lingerMs: 1000 });
    for (let i = 1; i <= 3; i++) void pub.send({ topic: 'T', json: m(i) });
    await flush();
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1), m(2)]]);
    const big = `{"pad":"${'x'.repeat(30)}"}`;
    void pub.send({ topic: 'T', json: big });
    await flush();
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1), m(2)], [m(3)], [big]]);
  });

  it('keeps one batch per topic', async () => {
    const { client, pub } = setup({ batchMaxMessages: 2 });
    void pub.send({ topic: 'A', json: m(1) });
    void pub.send({ topic: 'B', json: m(2) });
    void pub.send({ topic: 'A', json: m(3) });
    await flush();
    expect(client.calls.map((c) => [c.topic, c.jsons])).toEqual([['A', [m(1), m(3)]]]);
    await advance(10);
    expect(client.calls.map((c) => [c.topic, c.jsons])).toEqual([
      ['A', [m(1), m(3)]],
      ['B', [m(2)]],
    ]);
  });

  it('while every request slot is busy, lets an expired linger wait and the batch grow: one bigger request once a slot frees', async () => {
    const { client, pub } = setup({ maxInFlightRequests: 1 });
    void pub.send({ topic: 'T', json: m(1) });
    await advance(10);
    expect(client.calls).toHaveLength(1);
    for (let i = 2; i <= 4; i++) void pub.send({ topic: 'T', json: m(i) });
    await advance(10); // linger over, slot busy: deferred
    await advance(500);
    void pub.send({ topic: 'T', json: m(5) });
    await advance(50);
    expect(client.calls).toHaveLength(1);
    client.calls[0].reply(200);
    await flush();
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1)], [m(2), m(3), m(4), m(5)]]);
  });
});

describe('DmaapPublisher answers', () => {
  it('splits a batch refused with 413 into halves sent at once, down to one message refused as DMAAP_REJECTED', async () => {
    const { client, pub, retries } = setup({ batchMaxMessages: 4 });
    const ws = [1, 2, 3, 4].map((i) => watch(pub.send({ topic: 'T', json: m(i) })));
    await flush();
    client.calls[0].reply(413, 'too large');
    await flush();
    expect(client.calls.slice(1).map((c) => c.jsons)).toEqual([
      [m(1), m(2)],
      [m(3), m(4)],
    ]);
    client.calls[1].reply(200);
    client.calls[2].reply(413, 'too large');
    await flush();
    expect(client.calls.slice(3).map((c) => c.jsons)).toEqual([[m(3)], [m(4)]]);
    client.calls[3].reply(200);
    client.calls[4].reply(413, 'too large');
    await flush();
    expect(client.calls).toHaveLength(5); // no timer was advanced: no backoff anywhere
    expect(kinds(ws)).toEqual(['resolved', 'resolved', 'resolved', 'rejected']);
    const err = rejection(ws[3]);
    expect(err).toBeInstanceOf(PermanentPublishError);
    expect(err).toMatchObject({ code: 'DMAAP_REJECTED', status: 413, message: 'DMaaP topic T: HTTP 413: too large' });
    expect(retries.map((r) => [r.count, r.delayMs, r.reason])).toEqual([
      [2, 0, 'split after HTTP 413: too large'],
      [2, 0, 'split after HTTP 413: too large'],
      [1, 0, 'split after HTTP 413: too large'],
      [1, 0, 'split after HTTP 413: too large'],
    ]);
  });

  it('retries with full-jitter backoff: initial * 2^attempt * random, capped by retryMaxMs', async () => {
    const { client, pub, retries } = setup({}, (c) => c.reply(503, 'busy'));
    void pub.send({ topic: 'T', json: m(1) });
    await advance(10);
    const expected = [50, 100, 200, 400, 500, 500];
    let at = 1;
    for (const delay of expected) {
      await advance(delay - 1);
      expect(client.calls).toHaveLength(at);
      await advance(1);
      expect(client.calls).toHaveLength(++at);
    }
    expect(retries.slice(0, expected.length).map((r) => r.delayMs)).toEqual(expected);
    expect(retries[0]).toEqual({ destination: 'dmaap', topic: 'T', count: 1, reason: 'HTTP 503: busy', delayMs: 50 });
  });

  it.each([
    ['honours Retry-After', '2', 5000, 2000],
    ['caps Retry-After at retryMaxMs', '86400', 1000, 1000],
  ])('%s', async (_name, retryAfter, retryMaxMs, delay) => {
    const { client, pub, retries, requests } = setup({ retryMaxMs }, (c) =>
      client.calls.length === 1 ? c.reply(429, 'slow down', { 'retry-after': retryAfter }) : c.reply(200),
    );
    const w = watch(pub.send({ topic: 'T', json: m(1) }));
    await advance(10);
    await advance(delay - 1);
    expect(client.calls).toHaveLength(1);
    await advance(1);
    expect(client.calls).toHaveLength(2);
    expect(retries.map((r) => r.delayMs)).toEqual([delay]);
    expect(w.now.kind).toBe('resolved');
    expect(lastAnswer(requests, 'T')).toEqual({ status: 200, outcome: 'success' });
  });

  it('when an outage ends, batches waiting out their own backoff are sent at once; a Retry-After stands', async () => {
    let down = true;
    const { client, pub, requests } = setup({ retryMaxMs: 10_000 }, (c) => {
      if (c.topic === 'PACED' && down) c.reply(429, 'slow down', { 'retry-after': '5' });
      else c.reply(down ? 503 : 200, down ? 'busy' : '');
    });
    const waiting = watch(pub.send({ topic: 'T1', json: m(1) }));
    const paced = watch(pub.send({ topic: 'PACED', json: m(2) }));
    await advance(10);
    // T1's backoff doubles: 50, 100, 200, 400, 800 ms; its next retry is 1,600 ms away.
    for (const delay of [50, 100, 200, 400, 800]) await advance(delay);
    const callsOf = (topic: string) => client.calls.filter((c) => c.topic === topic).length;
    expect(callsOf('T1')).toBe(6);
    expect(callsOf('PACED')).toBe(1); // its next try is 5 s after the first, as the 429 asked
    expect(pub.health().ok).toBe(false);
    down = false;
    const fresh = watch(pub.send({ topic: 'T2', json: m(3) }));
    await advance(10);
    expect(fresh.now.kind).toBe('resolved');
    expect(lastAnswer(requests, 'T2')).toEqual({ status: 200, outcome: 'success' });
    // The outage ended with T2's answer: T1 goes now, not 1,600 ms later.
    expect(callsOf('T1')).toBe(7);
    expect(waiting.now.kind).toBe('resolved');
    expect(lastAnswer(requests, 'T1')).toEqual({ status: 200, outcome: 'success' });
    expect(paced.now.kind).toBe('pending');
    expect(callsOf('PACED')).toBe(1);
    await advance(5000);
    expect(paced.now.kind).toBe('resolved');
    expect(lastAnswer(requests, 'PACED')).toEqual({ status: 200, outcome: 'success' });
  });

  it('after a partial-publish 404 resends only the unpublished tail', async () => {
    const partial = JSON.stringify({
      errorMessage: 'Error while publishing data to topic.:T.Successfully published number of messages :2.boom',
    });
    const { client, pub } = setup({ batchMaxMessages: 5 });
    const ws = [1, 2, 3, 4, 5].map((i) => watch(pub.send({ topic: 'T', json: m(i) })));
    await flush();
    client.calls[0].reply(404, partial);
    await flush();
    expect(kinds(ws)).toEqual(['resolved', 'resolved', 'pending', 'pending', 'pending']);
    await advance(50);
    expect(client.calls.map((c) => c.jsons)).toEqual([
      [m(1), m(2), m(3), m(4), m(5)],
      [m(3), m(4), m(5)],
    ]);
    client.calls[1].reply(200);
    await flush();
    expect(kinds(ws)).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
  });

  it('refuses a message still failing after maxRetryMs as DMAAP_RETRY_EXPIRED, naming the time spent', async () => {
    // Delays 200, 400, then min(800, 1000 - 600): the last try lands on the expiry instant.
    const { client, pub } = setup({ retryInitialMs: 400, retryMaxMs: 10_000, maxRetryMs: 1000 }, (c) =>
      c.reply(503, 'busy'),
    );
    const w = watch(pub.send({ topic: 'T', json: m(1) }));
    await advance(10);
    await advance(200);
    await advance(400);
    expect(client.calls).toHaveLength(3);
    await advance(399);
    expect(w.now.kind).toBe('pending');
    await advance(1);
    expect(client.calls).toHaveLength(4);
    const err = rejection(w);
    expect(err).toBeInstanceOf(PermanentPublishError);
    expect(err).toMatchObject({
      code: 'DMAAP_RETRY_EXPIRED',
      status: 503,
      message: 'DMaaP topic T: DMaaP kept failing for 1000 ms (maxRetryMs 1000); last: HTTP 503: busy',
    });
    expect(pub.pending()).toBe(0);
  });

  it('names the topic in a refusal and counts a 403 as no outage; a retry streak is one, until a success', async () => {
    const { client, pub, requests } = setup({}, (c) =>
      c.reply(c.topic === 'NOPE' ? 403 : 200, c.topic === 'NOPE' ? 'forbidden' : ''),
    );
    const refused = watch(pub.send({ topic: 'NOPE', json: m(1) }));
    await advance(10);
    expect(rejection(refused)).toMatchObject({
      code: 'DMAAP_REJECTED',
      status: 403,
      message: 'DMaaP topic NOPE: HTTP 403: forbidden',
    });
    expect(pub.health().ok).toBe(true);

    client.responder = (c) =>
      c.fail(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3904'), { code: 'ECONNREFUSED' }));
    const w = watch(pub.send({ topic: 'T', json: m(2) }));
    await advance(10);
    expect(pub.health()).toMatchObject({ ok: false, reason: 'T: connect ECONNREFUSED 127.0.0.1:3904' });
    client.responder = (c) => c.reply(200);
    await advance(50);
    expect(w.now.kind).toBe('resolved');
    expect(pub.health().ok).toBe(true);
    expect(requests.map((r) => [r.destination, r.topic, r.count, r.status, r.outcome])).toEqual([
      ['dmaap', 'NOPE', 1, 403, 'permanent'],
      ['dmaap', 'T', 1, undefined, 'retry'],
      ['dmaap', 'T', 1, 200, 'success'],
    ]);
    expect(requests[1].error).toBe('connect ECONNREFUSED 127.0.0.1:3904');
    expect(typeof requests[1].durationMs).toBe('number');
  });

  it('a refusal during an outage leaves it going: health stays down until a request that needed a resend is accepted', async () => {
    const { client, pub } = setup({}, (c) => c.reply(c.topic === 'NOPE' ? 403 : 503, 'no'));
    const w = watch(pub.send({ topic: 'T', json: m(1) }));
    await advance(10);
    expect(pub.health()).toMatchObject({ ok: false, reason: 'T: HTTP 503: no' });
    const refused = watch(pub.send({ topic: 'NOPE', json: m(2) }));
    await advance(10);
    expect(rejection(refused)).toMatchObject({ code: 'DMAAP_REJECTED' });
    expect(pub.health()).toMatchObject({ ok: false, reason: 'T: HTTP 503: no' });
    client.responder = (c) => c.reply(200);
    await advance(50);
    expect(w.now.kind).toBe('resolved');
    expect(pub.health().ok).toBe(true);
  });
});

describe('DmaapPublisher close and caps', () => {
  it('close(deadline): refuses new messages, flushes open batches, gives pending ones the deadline, then rejects them and closes the client', async () => {
    const { client, pub, requests } = setup({ lingerMs: 1000 });
    const early = pub.send({ topic: 'T', json: m(0) });
    await advance(1000);
    client.calls[0].reply(200);
    await flush();
    const ws = [1, 2].map((i) => watch(pub.send({ topic: 'T', json: m(i) })));
    let closed = false;
    void pub.close(500).then(() => (closed = true));
    const late = watch(pub.send({ topic: 'T', json: m(3) }));
    await flush();
    expect(rejection(late)).toBeInstanceOf(DestinationClosedError);
    expect(rejection(late)).toMatchObject({
      code: 'PUBLISHER_CLOSED',
      message: 'DMaaP publisher closed before the record was accepted; the delivery is requeued',
    });
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(0)], [m(1), m(2)]]); // flushed without waiting the linger
    await advance(499);
    expect(kinds(ws)).toEqual(['pending', 'pending']);
    expect(closed).toBe(false);
    await advance(1);
    expect(closed).toBe(true);
    expect(ws.map((w) => (rejection(w) as DestinationClosedError).code)).toEqual([
      'PUBLISHER_CLOSED',
      'PUBLISHER_CLOSED',
    ]);
    expect(client.calls[1].signal?.aborted).toBe(true);
    expect(client.closed).toBe(1);
    client.calls[1].reply(200); // an answer past the deadline changes nothing
    await flush();
    expect(requests.map((r) => [r.topic, r.count, r.status, r.outcome])).toEqual([['T', 1, 200, 'success']]);
    await expect(early).resolves.toBeUndefined();
    expect(pub.pending()).toBe(0);
  });

  it('close(deadline) ends as soon as what is pending is accepted', async () => {
    const { client, pub, requests } = setup();
    const w = watch(pub.send({ topic: 'T', json: m(1) }));
    let closed = false;
    void pub.close(5000).then(() => (closed = true));
    await advance(100);
    expect(closed).toBe(false);
    client.calls[0].reply(200);
    await flush();
    expect(w.now.kind).toBe('resolved');
    expect(lastAnswer(requests, 'T')).toEqual({ status: 200, outcome: 'success' });
    expect(closed).toBe(true);
    expect(client.closed).toBe(1);
  });

  it('close(deadline) drops a retry that would come after the deadline', async () => {
    const { client, pub } = setup({ retryInitialMs: 10_000, retryMaxMs: 10_000 }, (c) => c.reply(503, 'busy'));
    const w = watch(pub.send({ topic: 'T', json: m(1) }));
    await advance(10);
    void pub.close(1000);
    await advance(1000);
    expect(rejection(w)).toMatchObject({ code: 'PUBLISHER_CLOSED' });
    await advance(10_000);
    expect(client.calls).toHaveLength(1);
  });

  it('refuses more than maxPending unsettled messages with PUBLISHER_OVERLOADED, and takes more once some settle', async () => {
    const { client, pub } = setup({ maxPending: 2 });
    void pub.send({ topic: 'T', json: m(1) });
    void pub.send({ topic: 'T', json: m(2) });
    const over = watch(pub.send({ topic: 'T', json: m(3) }));
    await flush();
    const err = rejection(over);
    expect(err).toBeInstanceOf(DestinationOverloadedError);
    expect(err).toMatchObject({ code: 'PUBLISHER_OVERLOADED', maxPending: 2 });
    expect(err.message).toContain('publish.maxPending');
    await advance(10);
    client.calls[0].reply(200);
    await flush();
    const again = watch(pub.send({ topic: 'T', json: m(4) }));
    await advance(10);
    expect(again.now.kind).toBe('pending');
    expect(client.calls.map((c) => c.jsons)).toEqual([[m(1), m(2)], [m(4)]]);
  });
});
