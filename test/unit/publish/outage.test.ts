/** OutageTracker: what the log says of a destination's outage, and its reachability. */
import { PassThrough } from 'node:stream';
import { Streaks } from '../../../src/publish/kafka/streaks.js';
import { OutageTracker } from '../../../src/publish/outage.js';
import { createLogger } from '../../../src/util/logger.js';

function tracker() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  let now = 1_000_000;
  const t = new OutageTracker('dmaap', createLogger({ level: 'debug', format: 'json', stream }), {
    summaryEveryMs: 5000,
    now: () => now,
  });
  const flush = () => new Promise((r) => setImmediate(r));
  return { t, lines, advance: (ms: number) => (now += ms), flush };
}

describe('OutageTracker', () => {
  it('logs the first failure at warn, a summary at most every summaryEveryMs, and the recovery with its length', async () => {
    const { t, lines, advance, flush } = tracker();
    t.failure('T1', 'connect ECONNREFUSED 127.0.0.1:3904', 250, 12);
    for (let i = 0; i < 10; i++) {
      advance(1000);
      t.failure('T1', 'connect ECONNREFUSED 127.0.0.1:3904', 500, 40 + i);
    }
    advance(2000);
    t.success();
    await flush();
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'dmaap failing; records are kept and retried'],
      ['warn', 'dmaap still failing'],
      ['warn', 'dmaap still failing'],
      ['info', 'dmaap recovered'],
    ]);
    expect(lines[0]).toMatchObject({
      destination: 'dmaap',
      topic: 'T1',
      reason: 'connect ECONNREFUSED 127.0.0.1:3904',
      retryInMs: 250,
      waiting: 12,
    });
    expect(lines[1]).toMatchObject({ failingForMs: 5000, failures: 6 });
    expect(lines[3]).toMatchObject({ outageMs: 12000, failures: 11, peakWaiting: 49 });
  });

  it('is down during a streak and up again after a success; a success outside an outage logs nothing', async () => {
    const { t, lines, advance, flush } = tracker();
    t.success();
    expect(t.health().ok).toBe(true);
    t.failure('T', 'HTTP 503: busy', 100, 1);
    expect(t.health()).toMatchObject({ ok: false, reason: 'T: HTTP 503: busy' });
    const since = t.health().since;
    advance(100);
    t.failure('T2', 'HTTP 502', 100, 1);
    expect(t.health()).toMatchObject({ ok: false, reason: 'T2: HTTP 502', since });
    t.success();
    expect(t.health().ok).toBe(true);
    await flush();
    expect(lines).toHaveLength(2);
  });
});

describe('OutageTracker.idle', () => {
  it('ends an outage when nothing waits any more, logged as such, not as a recovery', async () => {
    const { t, lines, advance, flush } = tracker();
    expect(t.idle()).toBe(false);
    t.failure('T1', 'HTTP 503', 250, 1);
    advance(3000);
    expect(t.idle()).toBe(true);
    await flush();
    expect(t.health().ok).toBe(true);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'dmaap failing; records are kept and retried'],
      ['info', 'dmaap outage over: no record waits any more (the last expired or was refused)'],
    ]);
    expect(lines[1]).toMatchObject({ outageMs: 3000, failures: 1 });
  });
});

describe('Kafka Streaks.idle', () => {
  it('ends the outage once the last failing partition has nothing waiting, as the HTTP destinations do', async () => {
    const { t, lines, flush } = tracker();
    const streaks = new Streaks(t);
    streaks.failure('p0', 'T1', 'NOT_LEADER_OR_FOLLOWER', 100, 2);
    streaks.failure('p1', 'T1', 'NOT_LEADER_OR_FOLLOWER', 100, 2);
    streaks.idle('p0');
    expect(t.health().ok).toBe(false);
    streaks.idle('p1');
    expect(t.health().ok).toBe(true);
    await flush();
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      message: expect.stringContaining('outage over: no record waits'),
    });
  });
});
