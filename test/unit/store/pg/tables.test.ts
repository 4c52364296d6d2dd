import { changeNote, parseNote } from '../../../../src/store/pg/tables.js';

describe('change notifications', () => {
  it('name the rows changed, with the writer, so the others reload just those', () => {
    const note = parseNote(changeNote('replica-a', [{ kind: 'computeNodes', k1: 'vio-1', k2: 'node-7' }]));
    expect(note).toEqual({ from: 'replica-a', rows: [['computeNodes', 'vio-1', 'node-7']] });
  });

  it('fall back to the kinds when the rows would pass the NOTIFY payload limit (8000 bytes)', () => {
    const rows = Array.from({ length: 500 }, (_x, i) => ({
      kind: 'subscriptions' as const,
      k1: `subscription-number-${i}`,
      k2: '',
    }));
    const text = changeNote('replica-a', [...rows, { kind: 'vims', k1: 'vio-1', k2: '' }]);
    expect(Buffer.byteLength(text)).toBeLessThan(8000);
    expect(parseNote(text)).toEqual({ from: 'replica-a', kinds: ['subscriptions', 'vims'] });
  });

  it('ignore a payload that is not theirs', () => {
    expect(parseNote('not json')).toBeUndefined();
    expect(parseNote('{"rows":[]}')).toBeUndefined();
    expect(parseNote(undefined)).toBeUndefined();
  });
});
