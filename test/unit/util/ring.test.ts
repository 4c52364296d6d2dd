import { Ring } from '../../../src/util/ring.js';

describe('Ring', () => {
  it('lists newest first, skipping the slots not filled yet', () => {
    const r = new Ring<number>(3);
    expect(r.newestFirst()).toEqual([]);
    r.push(1);
    r.push(2);
    expect(r.newestFirst()).toEqual([2, 1]);
  });

  it('overwrites the oldest once full', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.newestFirst()).toEqual([5, 4, 3]);
  });

  it('keeps one entry for a size below 1', () => {
    const r = new Ring<string>(0);
    r.push('a');
    r.push('b');
    expect(r.newestFirst()).toEqual(['b']);
  });
});
