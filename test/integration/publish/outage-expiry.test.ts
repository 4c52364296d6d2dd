/**
 * An outage whose records all expired (maxRetryMs) ends, for each HTTP destination, against a
 * real HTTP server on loopback that fails and then recovers: with no new traffic nothing else
 * would ever end it, and readiness would stay 503 for good.
 */
import { DmaapPublisher } from '../../../src/publish/dmaap/publisher.js';
import { VesDestination } from '../../../src/publish/ves/destination.js';
import { createLogger } from '../../../src/util/logger.js';
import { startFaultServer, type FaultServer } from '../../helpers/fault-http.js';
import { waitFor } from '../../helpers/wait.js';
import { vmFault } from '../../helpers/ves-events.js';

const logger = createLogger({ level: 'error', format: 'json' });
const RETRY = { retryInitialMs: 20, retryMaxMs: 50, maxRetryMs: 300, timeoutMs: 2000 } as const;

let fault: FaultServer;
const closers: (() => Promise<void>)[] = [];
beforeEach(async () => {
  fault = await startFaultServer();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await fault.close();
});

/** What a destination shows for this test: its health, and one record sent through it. */
interface Under {
  health(): { ok: boolean };
  sendOne(): Promise<unknown>;
}

const kinds: [string, () => Under][] = [
  [
    'DMaaP',
    () => {
      const p = new DmaapPublisher({ url: fault.url, ...RETRY }, logger);
      closers.push(() => p.close(0));
      return { health: () => p.health(), sendOne: () => p.send({ topic: 'T', json: '{"a":1}' }) };
    },
  ],
  [
    'VES',
    () => {
      const collector = { endpoint: `${fault.url}/eventListener/v7` };
      const d = new VesDestination({ collectorFor: () => collector, logger, lingerMs: 5, ...RETRY });
      closers.push(() => d.close(0));
      return { health: () => d.health(), sendOne: () => d.send({ topic: 'vio-1', json: JSON.stringify(vmFault(1)) }) };
    },
  ],
];

describe.each(kinds)('%s: an outage whose every record expired', (_name, make) => {
  it('ends once nothing waits, without new traffic; the next record is accepted', async () => {
    const d = make();
    fault.fallback = { kind: 'respond', status: 503, body: 'down' };
    const expired = await d.sendOne().catch((e: unknown) => e);
    expect(expired).toMatchObject({ code: expect.stringMatching(/_RETRY_EXPIRED$/) });
    fault.fallback = { kind: 'accept' };
    // Nothing is sent after the expiry: the destination must not stay "failing" with nothing to say so.
    await waitFor(() => d.health().ok, 'the outage to end', 3000).catch(() => undefined);
    expect(d.health()).toMatchObject({ ok: true });
    const before = fault.requests.length;
    await d.sendOne();
    expect(fault.requests.length).toBe(before + 1);
    expect(d.health().ok).toBe(true);
  });

  it('stays failing while another record still waits', async () => {
    const d = make();
    fault.fallback = { kind: 'respond', status: 503, body: 'down' };
    const first = d.sendOne().catch((e: unknown) => e);
    await fault.waitForRequests(2);
    const second = d.sendOne().catch((e: unknown) => e);
    await first;
    expect(d.health().ok).toBe(false);
    await second;
    await waitFor(() => d.health().ok, 'the outage to end', 3000);
  });
});
