/**
 * VimRunner between a scripted listener (faults a real broker cannot give on demand: a cancel
 * that is never confirmed, a close that never ends) and a real Pipeline whose destination the
 * test holds, with fake timers so every deadline is exact. End to end it runs in test/e2e.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { VimRunner } from '../../../src/daemon/vim-runner.js';
import { Pipeline, type PipelineObserver } from '../../../src/daemon/pipeline.js';
import { CLOSE_GRACE_MS } from '../../../src/util/deadline.js';
import { applyVimDefaults } from '../../../src/config/vim.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import type { Subscription } from '../../../src/model/subscription.js';
import type { ListenerStatusChange } from '../../../src/transport/types.js';
import { createLogger } from '../../../src/util/logger.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';
import { powerOffV2 } from '../../helpers/fixtures.js';
import { ScriptedListener } from '../../helpers/scripted-listener.js';

const noop = (): void => undefined;
const observer: PipelineObserver = {
  consumed: noop,
  filtered: noop,
  published: noop,
  deadLettered: noop,
  duplicate: noop,
  inFlight: noop,
};
const subs: Subscription[] = [{ id: 's1', vimId: 'v1', states: ['*'], topic: 'T' }];
const powerOff = (id: string): string => JSON.stringify(powerOffV2(id));

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  await flush();
}

function logLines() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return {
    logger: createLogger({ level: 'debug', format: 'json', stream }),
    warnings: () => lines.filter((l) => l.level === 'warn').map((l) => l.message),
  };
}

/** A runner whose destination holds every record until the test releases it. */
function setup() {
  const held: (() => void)[] = [];
  const dest = new ScriptedDestination(() => new Promise<void>((resolve) => held.push(resolve)));
  const { logger, warnings } = logLines();
  const pipeline = new Pipeline({
    destinations: { dmaap: dest },
    defaultSink: 'dmaap',
    subscriptions: () => subs,
    observer,
    logger,
    maxBodyBytes: 1 << 20,
  });
  let listener!: ScriptedListener;
  const vim = applyVimDefaults({ id: 'v1', transportUrl: 'rabbit://guest:guest@127.0.0.1:1/' });
  const runner = new VimRunner(
    vim,
    pipeline,
    {
      dedupeWindow: 100,
      transport: DEFAULT_TRANSPORT_OPTIONS,
      listenerFactory: (v) => (listener = new ScriptedListener(v)),
    },
    logger,
  );
  return { runner, listener, dest, held, warnings };
}

/** Resolves a flag when `p` settles, so a test can see exactly when. */
function settledFlag<T>(p: Promise<T>): { done: boolean; value?: T } {
  const f: { done: boolean; value?: T } = { done: false };
  void p.then((v) => {
    f.done = true;
    f.value = v;
  });
  return f;
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate', 'clearImmediate'], now: 5_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('VimRunner', () => {
  it('builds its listener through the factory, forwards its status events and reads its status', async () => {
    const { runner, listener } = setup();
    const seen: ListenerStatusChange[] = [];
    runner.on('status', (s: ListenerStatusChange) => seen.push(s));
    const down = { status: 'UNREACHABLE' as const, since: new Date(1), reason: 'connect ECONNREFUSED 127.0.0.1:1' };
    const up = { status: 'REACHABLE' as const, since: new Date(2) };
    listener.report(down);
    listener.report(up);
    expect(seen).toEqual([down, up]);
    expect(runner.status).toBe(up);
    expect(listener.vimId).toBe('v1');
  });

  it('hands every delivery to the pipeline, which acks it once the destination accepted', async () => {
    const { runner, listener, dest, held } = setup();
    await runner.start();
    const d = listener.deliver(powerOff('m-1'));
    await flush();
    expect(dest.calls.map((c) => c.topic)).toEqual(['T']);
    expect(runner.state.inFlight.size).toBe(1);
    expect(d.settled).toEqual([]);
    held[0]();
    await flush();
    expect(d.settled).toEqual([{ kind: 'ack' }]);
    expect(runner.state.inFlight.size).toBe(0);
  });

  it('drain(deadline) stops consuming, waits for deliveries in hand up to the deadline and returns how many are left', async () => {
    const { runner, listener, held } = setup();
    await runner.start();
    const ds = [listener.deliver(powerOff('m-1')), listener.deliver(powerOff('m-2'))];
    await flush();
    const drained = settledFlag(runner.drain(Date.now() + 1000));
    await flush();
    expect(listener.calls).toEqual(['start', 'stopConsuming']);
    await advance(300);
    held[0]();
    await advance(699);
    expect(drained.done).toBe(false);
    await advance(1);
    expect(drained).toEqual({ done: true, value: 1 });
    expect(ds.map((d) => d.settled)).toEqual([[{ kind: 'ack' }], []]);
    expect(listener.calls).toEqual(['start', 'stopConsuming']); // drain does not close
  });

  it('drain(deadline) returns as soon as the last delivery in hand settles', async () => {
    const { runner, listener, held } = setup();
    await runner.start();
    listener.deliver(powerOff('m-1'));
    await flush();
    const drained = settledFlag(runner.drain(Date.now() + 10_000));
    await advance(250);
    expect(drained.done).toBe(false);
    held[0]();
    await flush();
    expect(drained).toEqual({ done: true, value: 0 });
  });

  it('a cancel the broker never confirms does not hold drain past its deadline', async () => {
    const { runner, listener, warnings } = setup();
    listener.stopAnswer = 'never';
    await runner.start();
    listener.deliver(powerOff('m-1'));
    await flush();
    const deadline = Date.now() + 800;
    const drained = settledFlag(runner.drain(deadline));
    await advance(799);
    expect(drained.done).toBe(false);
    await advance(1);
    // What is left of the deadline for the deliveries in hand is 0 ms; fake timers run a 0 ms
    // timer set during a tick 1 ms later.
    await advance(1);
    expect(drained).toEqual({ done: true, value: 1 });
    expect(Date.now() - deadline).toBe(1);
    expect(warnings()).toEqual(['the broker did not confirm the consumer cancel before the shutdown deadline']);
  });

  it('stop(deadline) drains, then closes, and says what it leaves in flight', async () => {
    const { runner, listener, warnings } = setup();
    await runner.start();
    listener.deliver(powerOff('m-1'));
    await flush();
    const stopped = settledFlag(runner.stop(Date.now() + 500));
    await advance(499);
    expect(listener.calls).toEqual(['start', 'stopConsuming']);
    await advance(1);
    expect(listener.calls).toEqual(['start', 'stopConsuming', 'close']);
    expect(stopped.done).toBe(true);
    expect(warnings()).toEqual(['VIM stopped with notifications in flight; they are requeued and will be redelivered']);
  });

  it('stop(deadline) gives a close that never ends CLOSE_GRACE_MS, then goes on', async () => {
    const { runner, listener, warnings } = setup();
    listener.closeAnswer = 'never';
    await runner.start();
    const stopped = settledFlag(runner.stop(Date.now() + 500));
    await flush();
    expect(listener.calls).toEqual(['start', 'stopConsuming', 'close']); // nothing in hand: no wait for the deadline
    await advance(CLOSE_GRACE_MS - 1);
    expect(stopped.done).toBe(false);
    await advance(1);
    expect(stopped.done).toBe(true);
    expect(warnings()).toEqual([
      'the broker connection did not close in time; the broker will redeliver what was not acked',
    ]);
  });
});
