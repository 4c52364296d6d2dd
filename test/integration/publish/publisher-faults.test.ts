import type { DmaapPublisherOptions } from '../../../src/publish/dmaap/options.js';
import { DmaapPublisher } from '../../../src/publish/dmaap/publisher.js';
import { PermanentPublishError } from '../../../src/publish/types.js';
import {
  DestinationClosedError,
  DestinationOverloadedError,
  type RequestEvent,
  type RetryEvent,
} from '../../../src/publish/destination.js';
import { startFaultServer, type FaultServer } from '../../helpers/fault-http.js';

let fault: FaultServer;
let publisher: DmaapPublisher;
let requests: RequestEvent[];
let retries: RetryEvent[];

const make = (opts: Partial<DmaapPublisherOptions> = {}): DmaapPublisher => {
  publisher = new DmaapPublisher({
    url: fault.url,
    retryInitialMs: 20,
    retryMaxMs: 50,
    timeoutMs: 2000,
    hooks: { onRequest: (e) => requests.push(e), onRetry: (e) => retries.push(e) },
    ...opts,
  });
  return publisher;
};
const msgs = (n: number, tag = 'm'): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i }));
const publishAll = (topic: string, jsons: readonly string[]): Promise<void>[] =>
  jsons.map((json) => publisher.send({ topic, json }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await sleep(2);
};
const arrayOf = (body: string): string[] => (JSON.parse(body) as unknown[]).map((m) => JSON.stringify(m));

beforeEach(async () => {
  fault = await startFaultServer();
  requests = [];
  retries = [];
});
afterEach(async () => {
  await publisher?.close(0);
  await fault.close();
});

describe('DmaapPublisher under faults', () => {
  it('retries a 503 and resolves once the batch is accepted', async () => {
    make();
    fault.script({ kind: 'respond', status: 503, body: 'unavailable' });
    const sent = msgs(3);
    await Promise.all(publishAll('T', sent));
    expect(fault.requests).toHaveLength(2);
    expect(fault.accepted('T')).toEqual(sent);
    expect(retries).toEqual([expect.objectContaining({ topic: 'T', count: 3, reason: 'HTTP 503: unavailable' })]);
    expect(requests.map((r) => r.outcome)).toEqual(['retry', 'success']);
  });

  it('waits as long as a 429 Retry-After says, not the backoff', async () => {
    make({ retryInitialMs: 60_000, retryMaxMs: 60_000 });
    fault.script({ kind: 'respond', status: 429, headers: { 'Retry-After': '1' } });
    await publisher.send({ topic: 'T', json: '{"a":1}' });
    expect(retries.map((r) => r.delayMs)).toEqual([1000]);
    expect(fault.requests).toHaveLength(2);
  });

  it('after a partial publish resolves the first N and resends only the rest', async () => {
    make();
    fault.script({ kind: 'partial', accepted: 2 });
    const sent = msgs(5);
    await Promise.all(publishAll('T', sent));
    expect(fault.requests).toHaveLength(2);
    expect(arrayOf(fault.requests[1].body)).toEqual(sent.slice(2));
    expect(fault.accepted('T')).toEqual(sent);
    expect(requests[0]).toMatchObject({ status: 404, outcome: 'partial', count: 5 });
  });

  it('refuses a 400 permanently, with the status and the body', async () => {
    make();
    fault.script({
      kind: 'respond',
      status: 400,
      body: '{"mrErrorCode":3005,"errorMessage":"Expecting an array or an object."}',
    });
    const results = await Promise.allSettled(publishAll('T', msgs(2)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as PermanentPublishError;
      expect(err).toBeInstanceOf(PermanentPublishError);
      expect(err).toMatchObject({ code: 'DMAAP_REJECTED', status: 400 });
      expect(err.message).toContain('Expecting an array or an object.');
      // Several topics: the reason names the one that refused.
      expect(err.message).toMatch(/^DMaaP topic T: HTTP 400/);
      expect(err.message).not.toMatch(/HTTP 400: HTTP 400/);
    }
    expect(fault.requests).toHaveLength(1);
    expect(publisher.pending()).toBe(0);
    expect(requests.map((r) => [r.topic, r.status, r.outcome])).toEqual([['T', 400, 'permanent']]);
    // One refused batch is not an outage: reachability (readiness) stays up, without further traffic.
    expect(publisher.health().ok).toBe(true);
  });

  it('retries a request left hanging past timeoutMs', async () => {
    make({ timeoutMs: 200 });
    fault.script({ kind: 'hang' });
    await publisher.send({ topic: 'T', json: '{"a":1}' });
    expect(requests[0]).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ETIMEDOUT') });
    expect(requests[0].status).toBeUndefined();
    expect(fault.accepted('T')).toEqual(['{"a":1}']);
  });

  it('retries after the connection is reset', async () => {
    make();
    fault.script({ kind: 'reset' });
    await publisher.send({ topic: 'T', json: '{"a":1}' });
    expect(requests[0]).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNRESET') });
    expect(fault.accepted('T')).toEqual(['{"a":1}']);
  });

  it('gives up with DMAAP_RETRY_EXPIRED once a message has failed for maxRetryMs', async () => {
    make({ maxRetryMs: 300 });
    fault.fallback = { kind: 'respond', status: 500, body: 'broken' };
    const err = await publisher.send({ topic: 'T', json: '{"a":1}' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentPublishError);
    expect(err).toMatchObject({ code: 'DMAAP_RETRY_EXPIRED', status: 500 });
    expect(fault.requests.length).toBeGreaterThan(2);
    expect((err as Error).message).toMatch(/; last: HTTP 500: broken$/);
    expect(requests.at(-1)).toMatchObject({ topic: 'T', status: 500, outcome: 'retry' });
    expect(requests).toHaveLength(fault.requests.length);
  });

  it('splits a batch refused with 413 and sends the halves', async () => {
    make();
    fault.script({ kind: 'respond', status: 413, body: 'too large' });
    const sent = msgs(4);
    await Promise.all(publishAll('T', sent));
    expect(fault.requests.map((r) => arrayOf(r.body).length)).toEqual([4, 2, 2]);
    expect([...fault.accepted('T')].sort()).toEqual([...sent].sort());
  });

  it('splits repeatedly down to the message that is too large, and refuses only that one', async () => {
    // One request at a time, so the halves reach the server in a known order.
    make({ maxInFlightRequests: 1 });
    const sent = msgs(4);
    fault.script({ kind: 'respond', status: 413 }, { kind: 'respond', status: 413 }, { kind: 'accept' });
    fault.fallback = { kind: 'respond', status: 413 };
    const results = await Promise.allSettled(publishAll('T', sent));
    // [4] -> 413, [a,b] -> 413, [c,d] accepted, then [a] and [b] alone -> 413 each.
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'DMAAP_REJECTED', status: 413 });
    expect(fault.accepted('T')).toEqual(sent.slice(2));
  });

  it('sends Basic auth on every request when configured', async () => {
    make({ username: 'relay', password: 'pw' });
    fault.script({ kind: 'respond', status: 503 });
    await publisher.send({ topic: 'T', json: '{"a":1}' });
    const expected = `Basic ${Buffer.from('relay:pw').toString('base64')}`;
    expect(fault.requests.map((r) => r.headers.authorization)).toEqual([expected, expected]);
  });

  it('never has more than maxInFlightRequests requests in flight', async () => {
    make({ maxInFlightRequests: 2, batchMaxMessages: 1 });
    fault.fallback = { kind: 'accept', delayMs: 30 };
    await Promise.all(publishAll('T', msgs(12)));
    expect(fault.requests).toHaveLength(12);
    expect(fault.maxConcurrent()).toBe(2);
  });

  it('lets a batch grow while every request slot is busy', async () => {
    make({ maxInFlightRequests: 1, lingerMs: 1 });
    let release!: () => void;
    fault.script({ kind: 'accept', until: new Promise<void>((r) => (release = r)) });
    const first = publisher.send({ topic: 'T', json: '{"first":true}' });
    await fault.waitForRequests(1);
    const later: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) {
      later.push(...publishAll('T', msgs(5, `r${round}`)));
      await sleep(20);
    }
    release();
    await Promise.all([first, ...later]);
    expect(fault.requests.map((r) => arrayOf(r.body).length)).toEqual([1, 15]);
  });

  it('reports each request, and health from the streak of failed ones', async () => {
    // A retry 200 ms after the 503 (not up to 20): the test looks between the two requests.
    make({ retryInitialMs: 200, retryMaxMs: 200, random: () => 0.99 });
    expect(publisher.health().ok).toBe(true);
    fault.script({ kind: 'respond', status: 503 });
    const p = publisher.send({ topic: 'T', json: '{"a":1}' });
    await until(() => requests.length === 1);
    expect(requests[0]).toMatchObject({ topic: 'T', status: 503, outcome: 'retry' });
    expect(publisher.health()).toMatchObject({ ok: false, reason: 'T: HTTP 503' });
    await p;
    expect(requests.at(-1)).toMatchObject({ topic: 'T', status: 200, outcome: 'success' });
    expect(publisher.health().ok).toBe(true);
  });
});

describe('DmaapPublisher closing and limits', () => {
  it('rejects with DestinationClosedError what was not accepted by the deadline, keeping what was', async () => {
    make();
    const early = msgs(3, 'early');
    await Promise.all(publishAll('T', early));
    fault.fallback = { kind: 'hang' };
    const late = publishAll('T', msgs(2, 'late'));
    await fault.waitForRequests(2);
    await publisher.close(100);
    const results = await Promise.allSettled(late);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DestinationClosedError);
    expect(fault.accepted('T')).toEqual(early);
    expect(publisher.pending()).toBe(0);
    await expect(publisher.send({ topic: 'T', json: '{"after":1}' })).rejects.toBeInstanceOf(DestinationClosedError);
  });

  it('keeps retrying while closing, until the deadline', async () => {
    make({ retryInitialMs: 50 });
    fault.script({ kind: 'respond', status: 503 }, { kind: 'respond', status: 503 });
    const p = publisher.send({ topic: 'T', json: '{"a":1}' });
    await publisher.close(10_000);
    await expect(p).resolves.toBeUndefined();
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(fault.accepted('T')).toEqual(['{"a":1}']);
    expect(fault.requests).toHaveLength(3);
  });

  it('rejects messages waiting in backoff when the deadline passes', async () => {
    make({ retryInitialMs: 60_000, retryMaxMs: 60_000, random: () => 0.99 });
    fault.script({ kind: 'respond', status: 503 });
    const p = publisher.send({ topic: 'T', json: '{"a":1}' });
    await fault.waitForRequests(1);
    await publisher.close(100);
    await expect(p).rejects.toBeInstanceOf(DestinationClosedError);
    expect(fault.requests).toHaveLength(1);
  });

  it('refuses more than maxPending unsettled messages with DestinationOverloadedError', async () => {
    make({ maxPending: 2 });
    fault.fallback = { kind: 'hang' };
    const held = publishAll('T', msgs(2));
    await expect(publisher.send({ topic: 'T', json: '{"third":1}' })).rejects.toBeInstanceOf(
      DestinationOverloadedError,
    );
    expect(publisher.pending()).toBe(2);
    await publisher.close(0);
    for (const r of await Promise.allSettled(held))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DestinationClosedError);
  });
});
