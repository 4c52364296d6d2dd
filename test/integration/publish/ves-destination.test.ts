/**
 * VesDestination against real HTTP servers on loopback: dmaap-dev's VES collector (the schema
 * really checked), a scripted server for the faults a collector will not produce on demand
 * (429, 5xx, 400, 401), an HTTPS collector with its own CA, and a collector that is down.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';
import type { RequestEvent, RetryEvent } from '../../../src/publish/destination.js';
import { VesDestination } from '../../../src/publish/ves/destination.js';
import type { VesDestinationOptions } from '../../../src/publish/ves/options.js';
import { createLogger } from '../../../src/util/logger.js';
import type { VesSubscription } from '../../../src/model/ves.js';
import { startFaultServer, type FaultServer } from '../../helpers/fault-http.js';
import { waitFor } from '../../helpers/wait.js';
import { selfSignedCert, type SelfSigned } from '../../helpers/self-signed.js';
import { vmFault } from '../../helpers/ves-events.js';

const logger = createLogger({ level: 'error', format: 'json' });
const FAULTS = 'unauthenticated.SEC_FAULT_OUTPUT';
const event = (n: number): string => JSON.stringify(vmFault(n));

const destinations: VesDestination[] = [];
const requests: RequestEvent[] = [];
const retries: RetryEvent[] = [];

function destination(collector: VesSubscription | undefined, o: Partial<VesDestinationOptions> = {}): VesDestination {
  const d = new VesDestination({
    collectorFor: (vimId) => (vimId === 'vio-1' ? collector : undefined),
    logger,
    lingerMs: 20,
    retryInitialMs: 20,
    retryMaxMs: 100,
    timeoutMs: 2000,
    hooks: { onRequest: (e) => requests.push(e), onRetry: (e) => retries.push(e) },
    ...o,
  });
  destinations.push(d);
  return d;
}

afterEach(async () => {
  await Promise.all(destinations.splice(0).map((d) => d.close(0)));
  requests.length = 0;
  retries.length = 0;
});

describe('against dmaap-dev as the collector', () => {
  let dev: DmaapDevServer;
  let url: string;
  beforeEach(async () => {
    dev = createDmaapDevServer();
    ({ url } = await dev.listen());
  });
  afterEach(() => dev.close());

  it('one event: {"event": ...} to the endpoint, accepted (202), on SEC_FAULT_OUTPUT', async () => {
    const d = destination({ endpoint: `${url}/eventListener/v7` });
    await d.send({ topic: 'vio-1', json: event(1) });
    expect(dev.messages(FAULTS).map((m) => JSON.parse(m))).toEqual([{ event: JSON.parse(event(1)) }]);
    expect(requests).toEqual([
      expect.objectContaining({
        destination: 'ves',
        topic: `${url}/eventListener/v7`,
        count: 1,
        status: 202,
        outcome: 'success',
      }),
    ]);
    expect(d.pending()).toBe(0);
  });

  it('several at once: one {"eventList": [...]} to <endpoint>/eventBatch', async () => {
    const d = destination({ endpoint: `${url}/eventListener/v7` });
    await Promise.all([1, 2, 3].map((n) => d.send({ topic: 'vio-1', json: event(n) })));
    expect(requests).toEqual([expect.objectContaining({ count: 3, status: 202 })]);
    expect(dev.messages(FAULTS)).toHaveLength(3);
  });

  it('batchMaxMessages bounds a batch', async () => {
    const d = destination({ endpoint: `${url}/eventListener/v7` }, { batchMaxMessages: 2 });
    await Promise.all([1, 2, 3].map((n) => d.send({ topic: 'vio-1', json: event(n) })));
    expect(requests.map((r) => r.count).sort()).toEqual([1, 2]);
  });

  it("an event the collector's schema refuses: VES_REJECTED with its answer, and no outage", async () => {
    const d = destination({ endpoint: `${url}/eventListener/v7` });
    const bad = JSON.stringify({ commonEventHeader: { domain: 'fault' } });
    await expect(d.send({ topic: 'vio-1', json: bad })).rejects.toMatchObject({
      name: 'RelayError',
      code: 'VES_REJECTED',
      message: expect.stringMatching(/HTTP 400: .*event\.commonEventHeader\.eventId is required/),
    });
    expect(d.health().ok).toBe(true);
  });

  it('a VIM without a VES configuration (deleted meanwhile): dropped, nothing sent', async () => {
    const d = destination({ endpoint: `${url}/eventListener/v7` });
    await d.send({ topic: 'vio-2', json: event(1) });
    expect(requests).toEqual([]);
  });
});

describe('against a scripted collector', () => {
  let fault: FaultServer;
  beforeEach(async () => {
    fault = await startFaultServer();
  });
  afterEach(() => fault.close());

  it('Basic auth when a username is set, none otherwise', async () => {
    await destination({ endpoint: `${fault.url}/eventListener/v7`, username: 'ves-user', password: 'p@ss:word' }).send({
      topic: 'vio-1',
      json: event(1),
    });
    await destination({ endpoint: `${fault.url}/eventListener/v7` }).send({ topic: 'vio-1', json: event(2) });
    expect(fault.requests[0].headers.authorization).toBe(
      `Basic ${Buffer.from('ves-user:p@ss:word').toString('base64')}`,
    );
    expect(fault.requests[1].headers.authorization).toBeUndefined();
    expect(fault.requests[0]).toMatchObject({
      method: 'POST',
      path: '/eventListener/v7',
      body: `{"event":${event(1)}}`,
    });
    expect(fault.requests[0].headers['content-type']).toBe('application/json');
  });

  it('a password changed between two events is used for the next one, on the same destination', async () => {
    let collector: VesSubscription = {
      endpoint: `${fault.url}/eventListener/v7`,
      username: 'ves-user',
      password: 'old',
    };
    const d = destination(undefined, { collectorFor: () => collector });
    await d.send({ topic: 'vio-1', json: event(1) });
    collector = { ...collector, password: 'new' };
    await d.send({ topic: 'vio-1', json: event(2) });
    const basic = (p: string) => `Basic ${Buffer.from(`ves-user:${p}`).toString('base64')}`;
    expect(fault.requests.map((r) => r.headers.authorization)).toEqual([basic('old'), basic('new')]);
  });

  it('401 (wrong credentials) refuses for good, naming the collector and its answer', async () => {
    fault.script({ kind: 'respond', status: 401, body: '{"requestError":"unauthorized"}' });
    await expect(
      destination({ endpoint: `${fault.url}/eventListener/v7`, username: 'u', password: 'wrong' }).send({
        topic: 'vio-1',
        json: event(1),
      }),
    ).rejects.toMatchObject({
      code: 'VES_REJECTED',
      message: `VES collector ${fault.url}/eventListener/v7 (VIM vio-1): HTTP 401: {"requestError":"unauthorized"}`,
    });
  });

  it('429 with Retry-After, then 503, then accepted: retried, health down then up again', async () => {
    fault.script(
      { kind: 'respond', status: 429, headers: { 'retry-after': '0' }, body: 'slow down' },
      { kind: 'respond', status: 503, body: 'kafka unavailable', delayMs: 300 },
    );
    const d = destination({ endpoint: `${fault.url}/eventListener/v7` });
    const sent = d.send({ topic: 'vio-1', json: event(1) });
    await waitFor(() => !d.health().ok, 'health down');
    expect(d.health().reason).toMatch(/HTTP (429|503)/);
    await sent;
    expect(fault.requests).toHaveLength(3);
    expect(requests.map((r) => r.outcome)).toEqual(['retry', 'retry', 'success']);
    expect(retries.map((r) => r.count)).toEqual([1, 1]);
    expect(d.health().ok).toBe(true);
  });

  it('a batch refused for good refuses each of its events', async () => {
    fault.script({ kind: 'respond', status: 400, body: 'x'.repeat(2000) });
    const d = destination({ endpoint: `${fault.url}/eventListener/v7` });
    const results = await Promise.allSettled([1, 2].map((n) => d.send({ topic: 'vio-1', json: event(n) })));
    expect(fault.requests[0].path).toBe('/eventListener/v7/eventBatch');
    for (const r of results) {
      expect(r.status).toBe('rejected');
      // The answer is truncated: a DLQ header and a log line stay readable.
      expect((r as PromiseRejectedResult).reason.message.length).toBeLessThan(700);
    }
  });

  it('close: a request left hanging ends with PUBLISHER_CLOSED, and nothing more is taken', async () => {
    fault.fallback = { kind: 'hang' };
    const d = destination({ endpoint: `${fault.url}/eventListener/v7` });
    const sent = d.send({ topic: 'vio-1', json: event(1) });
    await fault.waitForRequests(1);
    await d.close(100);
    await expect(sent).rejects.toMatchObject({ code: 'PUBLISHER_CLOSED' });
    await expect(d.send({ topic: 'vio-1', json: event(2) })).rejects.toMatchObject({ code: 'PUBLISHER_CLOSED' });
    expect(d.pending()).toBe(0);
  });

  it('while every request slot is busy, an expired linger waits and the batch grows: one bigger request once a slot frees', async () => {
    let release!: () => void;
    fault.script({ kind: 'accept', until: new Promise<void>((r) => (release = r)) });
    const d = destination({ endpoint: `${fault.url}/eventListener/v7` }, { maxInFlightRequests: 1 });
    const sent = [d.send({ topic: 'vio-1', json: event(1) })];
    await fault.waitForRequests(1);
    for (const n of [2, 3, 4]) {
      sent.push(d.send({ topic: 'vio-1', json: event(n) }));
      await new Promise((r) => setTimeout(r, 40)); // twice lingerMs: each linger runs out meanwhile
    }
    expect(fault.requests).toHaveLength(1);
    release();
    await Promise.all(sent);
    expect(requests.map((r) => r.count)).toEqual([1, 3]);
    expect(fault.requests[1]).toMatchObject({
      path: '/eventListener/v7/eventBatch',
      body: `{"eventList":[${[2, 3, 4].map(event).join(',')}]}`,
    });
  });
});

describe('a collector that is down', () => {
  async function freePort(): Promise<number> {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  }

  it('events wait and are retried until it comes up, then accepted', async () => {
    const port = await freePort();
    const d = destination({ endpoint: `http://127.0.0.1:${port}/eventListener/v7` });
    const sent = d.send({ topic: 'vio-1', json: event(1) });
    await waitFor(() => retries.length >= 3, 'three retries');
    expect(d.health()).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(d.pending()).toBe(1);
    const dev = createDmaapDevServer({ port });
    await dev.listen();
    try {
      await sent;
      expect(dev.messages(FAULTS)).toHaveLength(1);
      expect(d.health().ok).toBe(true);
    } finally {
      await dev.close();
    }
  });

  it('ves.maxRetryMs: kept failing that long -> VES_RETRY_EXPIRED', async () => {
    const port = await freePort();
    const d = destination({ endpoint: `http://127.0.0.1:${port}/eventListener/v7` }, { maxRetryMs: 300 });
    await expect(d.send({ topic: 'vio-1', json: event(1) })).rejects.toMatchObject({
      code: 'VES_RETRY_EXPIRED',
      message: expect.stringMatching(
        /the VES collector kept failing for \d+ ms \(ves.maxRetryMs 300\); last: .*ECONNREFUSED/,
      ),
    });
  });

  it('every failed request of an expiring event counts in the outage, the last one too', async () => {
    const port = await freePort();
    const stream = new PassThrough();
    const lines: { message: string; retryInMs?: number }[] = [];
    stream.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { message: string });
    });
    const d = destination(
      { endpoint: `http://127.0.0.1:${port}/eventListener/v7` },
      { maxRetryMs: 300, outageSummaryEveryMs: 0, logger: createLogger({ level: 'info', format: 'json', stream }) },
    );
    await expect(d.send({ topic: 'vio-1', json: event(1) })).rejects.toMatchObject({ code: 'VES_RETRY_EXPIRED' });
    await new Promise((r) => setImmediate(r));
    const streak = lines.filter((l) => l.message.startsWith('ves failing') || l.message === 'ves still failing');
    expect(streak).toHaveLength(requests.length);
    expect(streak.at(-1)?.retryInMs).toBe(0); // the expiring answer: nothing more is sent
    // Nothing waits any more, so the outage is over (it would otherwise never end without traffic).
    expect(lines.at(-1)?.message).toBe('ves outage over: no record waits any more (the last expired or was refused)');
    expect(d.health().ok).toBe(true);
  });
});

describe('over HTTPS', () => {
  let tls: SelfSigned;
  let server: https.Server;
  let url: string;
  beforeAll(async () => {
    tls = selfSignedCert('ves-tls-');
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/eventListener/v7`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    tls.remove();
  });

  it('trusts the collector through ves.caFile', async () => {
    await destination({ endpoint: url }, { caFile: tls.certFile }).send({ topic: 'vio-1', json: event(1) });
    expect(requests[0]).toMatchObject({ status: 202, outcome: 'success' });
  });

  it('without the CA the certificate is refused, and retried as an outage', async () => {
    const d = destination({ endpoint: url });
    void d.send({ topic: 'vio-1', json: event(1) }).catch(() => undefined);
    await waitFor(() => !d.health().ok, 'health down');
    expect(d.health().reason).toMatch(/SELF_SIGNED/);
  });

  it('a ves.caFile that cannot be read stops the construction, naming the key', () => {
    expect(() => new VesDestination({ collectorFor: () => undefined, logger, caFile: '/nonexistent/ca.pem' })).toThrow(
      /ves\.caFile: cannot read \/nonexistent\/ca\.pem/,
    );
  });
});
