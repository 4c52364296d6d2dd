import { RecentIds } from '../../../src/daemon/windows.js';

describe('RecentIds', () => {
  it('forgets the oldest id first and never holds more than its size', () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) ids.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => ids.has(id))).toEqual([false, true, true, true]);
    expect(ids.count).toBe(3);
  });

  it('an id added again counts as the newest', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('a');
    ids.add('c');
    expect(['a', 'b', 'c'].map((id) => ids.has(id))).toEqual([true, false, true]);
  });

  it('stays exact over many more ids than its size (the eviction cursor survives rehashing)', () => {
    const ids = new RecentIds(1000);
    for (let i = 0; i < 50_000; i++) {
      ids.add(`id-${i}`);
      if (i % 7 === 0) ids.add(`id-${Math.max(0, i - 500)}`);
    }
    expect(ids.count).toBe(1000);
    expect(ids.has('id-49999')).toBe(true);
    expect(ids.has('id-48000')).toBe(false);
  });

  it('size 0 remembers nothing', () => {
    const ids = new RecentIds(0);
    ids.add('a');
    expect(ids.has('a')).toBe(false);
  });
});
