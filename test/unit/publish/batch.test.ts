import { BatchAssembler, batchBodyBytes } from '../../../src/publish/batch.js';

interface Msg {
  id: string;
  bytes: number;
}
const m = (id: string, bytes = 10): Msg => ({ id, bytes });
const ids = (batches: Msg[][]): string[][] => batches.map((b) => b.map((x) => x.id));

describe('batchBodyBytes', () => {
  it.each([
    [[], 2],
    [[5], 7],
    [[5, 5], 13],
    [[1, 2, 3], 10],
  ])('%j -> %i', (sizes, expected) => {
    expect(batchBodyBytes(sizes.map((bytes) => ({ bytes })))).toBe(expected);
  });

  it('equals the real body length', () => {
    const jsons = ['{"a":1}', '{"é":"ü"}', '{}'];
    const body = `[${jsons.join(',')}]`;
    expect(batchBodyBytes(jsons.map((j) => ({ bytes: Buffer.byteLength(j) })))).toBe(Buffer.byteLength(body));
  });
});

describe('BatchAssembler', () => {
  it('seals a batch when it reaches maxMessages', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 3, maxBytes: 1000 });
    expect(a.add('t', m('1'))).toEqual([]);
    expect(a.add('t', m('2'))).toEqual([]);
    expect(ids(a.add('t', m('3')))).toEqual([['1', '2', '3']]);
    expect(a.has('t')).toBe(false);
  });

  it('keeps topics apart', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 2, maxBytes: 1000 });
    a.add('a', m('a1'));
    a.add('b', m('b1'));
    expect(ids(a.add('a', m('a2')))).toEqual([['a1', 'a2']]);
    expect(a.topics()).toEqual(['b']);
    expect(ids([a.take('b')!])).toEqual([['b1']]);
    expect(a.take('b')).toBeUndefined();
  });

  it('seals the open batch before a message that would push the body past maxBytes', () => {
    // [10,10] = 23 bytes; a third 10-byte message makes 34 > 30.
    const a = new BatchAssembler<Msg>({ maxMessages: 100, maxBytes: 30 });
    a.add('t', m('1'));
    expect(a.add('t', m('2'))).toEqual([]);
    expect(ids(a.add('t', m('3')))).toEqual([['1', '2']]);
    expect(ids([a.take('t')!])).toEqual([['3']]);
  });

  it('fills a batch exactly up to maxBytes', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 100, maxBytes: 23 });
    a.add('t', m('1'));
    expect(a.add('t', m('2'))).toEqual([]);
    expect(ids([a.take('t')!])).toEqual([['1', '2']]);
  });

  it('sends a message larger than maxBytes alone, after the open batch', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 100, maxBytes: 30 });
    a.add('t', m('small'));
    expect(ids(a.add('t', m('huge', 29)))).toEqual([['small'], ['huge']]);
    expect(a.has('t')).toBe(false);
    expect(ids(a.add('t', m('huge2', 500)))).toEqual([['huge2']]);
  });

  it('with maxMessages 1 seals every message at once', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 1, maxBytes: 1000 });
    expect(ids(a.add('t', m('1')))).toEqual([['1']]);
    expect(ids(a.add('t', m('2')))).toEqual([['2']]);
  });

  it('never loses or duplicates a message across many adds', () => {
    const a = new BatchAssembler<Msg>({ maxMessages: 7, maxBytes: 120 });
    const out: Msg[][] = [];
    const sent: string[] = [];
    for (let i = 0; i < 500; i++) {
      const msg = m(String(i), (i * 37) % 150);
      sent.push(msg.id);
      out.push(...a.add(i % 2 ? 'x' : 'y', msg));
    }
    for (const t of a.topics()) out.push(a.take(t)!);
    expect(
      out
        .flat()
        .map((x) => x.id)
        .sort(),
    ).toEqual([...sent].sort());
    for (const b of out) {
      expect(b.length).toBeLessThanOrEqual(7);
      if (b.length > 1) expect(batchBodyBytes(b)).toBeLessThanOrEqual(120);
    }
  });

  it('refuses maxMessages below 1', () => {
    expect(() => new BatchAssembler<Msg>({ maxMessages: 0, maxBytes: 10 })).toThrow(RangeError);
  });
});
