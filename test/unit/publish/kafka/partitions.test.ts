import { defaultPartitioner } from '../../../../src/publish/kafka/partitions.js';

describe('defaultPartitioner', () => {
  it('one key, one partition, whatever else was placed meanwhile', () => {
    const p = defaultPartitioner();
    const first = p('t', 'vm-42', 6);
    for (let i = 0; i < 100; i++) p('t', `vm-${i}`, 6);
    expect(p('t', 'vm-42', 6)).toBe(first);
    expect(defaultPartitioner()('other', 'vm-42', 6)).toBe(first); // the topic does not enter the hash
  });

  it('spreads keys over every partition, within range', () => {
    const p = defaultPartitioner();
    const seen = new Set(Array.from({ length: 500 }, (_, i) => p('t', `vm-${i}`, 6)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keyless records go round robin', () => {
    const p = defaultPartitioner();
    const got = Array.from({ length: 6 }, () => p('t', undefined, 3));
    expect(new Set(got).size).toBe(3);
  });
});
