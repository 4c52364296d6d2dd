import { SettleGate } from '../../../../src/transport/amqp10/settle-gate.js';

/** A hand-cranked scheduler standing in for process.nextTick: each turn() runs what was deferred. */
function manualDefer() {
  let queue: Array<() => void> = [];
  return {
    defer: (fn: () => void) => queue.push(fn),
    turn: () => {
      const q = queue;
      queue = [];
      q.forEach((fn) => fn());
    },
    pending: () => queue.length,
  };
}

describe('SettleGate', () => {
  it('lets one kind of outcome into each pass, in the order handed in', () => {
    const s = manualDefer();
    const gate = new SettleGate(s.defer);
    const applied: string[] = [];
    const passes: string[][] = [];
    const settle = (kind: string, id: number) => gate.settle(kind, () => applied.push(`${kind}:${id}`));
    settle('accepted', 0);
    settle('released', 1);
    settle('accepted', 2);
    settle('released', 3);
    passes.push(applied.splice(0));
    while (s.pending() > 0) {
      s.turn();
      passes.push(applied.splice(0));
    }
    expect(passes.filter((p) => p.length > 0)).toEqual([
      ['accepted:0'],
      ['released:1'],
      ['accepted:2'],
      ['released:3'],
    ]);
  });

  it('keeps same-kind outcomes together in one pass', () => {
    const s = manualDefer();
    const gate = new SettleGate(s.defer);
    const applied: string[] = [];
    for (let i = 0; i < 5; i++) gate.settle('accepted', () => applied.push(`a${i}`));
    expect(applied).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    s.turn();
    expect(s.pending()).toBe(0);
  });

  it('resolves idle() only after the last pass was handed to rhea', async () => {
    const s = manualDefer();
    const gate = new SettleGate(s.defer);
    await gate.idle();
    gate.settle('released', () => undefined);
    gate.settle('accepted', () => undefined);
    let idle = false;
    void gate.idle().then(() => (idle = true));
    s.turn();
    await Promise.resolve();
    expect(idle).toBe(false);
    s.turn();
    await Promise.resolve();
    expect(idle).toBe(true);
  });

  it('runs on process.nextTick by default', async () => {
    const gate = new SettleGate();
    const applied: string[] = [];
    gate.settle('accepted', () => applied.push('a'));
    gate.settle('released', () => applied.push('r'));
    expect(applied).toEqual(['a']);
    await gate.idle();
    expect(applied).toEqual(['a', 'r']);
  });
});
