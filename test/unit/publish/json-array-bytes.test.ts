import fc from 'fast-check';
import { batchBodyBytes, jsonArrayBytes } from '../../../src/publish/batch.js';
import { sized } from '../../helpers/fixtures.js';

describe('jsonArrayBytes', () => {
  it.each([
    [[], '[]'],
    [['{}'], '[{}]'],
    [['{"a":1}', '"é"', '[1,2]'], '[{"a":1},"é",[1,2]]'],
  ])('%j -> %s', (jsons, text) => {
    expect(jsonArrayBytes(sized(jsons)).toString('utf8')).toBe(text);
  });

  it('is the UTF-8 of the joined array for any strings, as long as batch.ts counts it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 20 }), (jsons) => {
        const bytes = jsonArrayBytes(sized(jsons));
        expect(bytes.equals(Buffer.from(`[${jsons.join(',')}]`, 'utf8'))).toBe(true);
        expect(bytes.length).toBe(batchBodyBytes(sized(jsons)));
      }),
    );
  });

  it('refuses a message whose size is not its UTF-8 length, rather than cut it', () => {
    expect(() => jsonArrayBytes([{ json: '"é"', bytes: 3 }])).toThrow('message 0 of the batch is 3 bytes');
  });

  it('writes cons strings (messages built by concatenation) whole', () => {
    const parts = ['{"event":', '"POWER_OFF"', ',"vm":', JSON.stringify({ name: 'vm-ü'.repeat(50) }), '}'];
    const json = parts.reduce((a, b) => a + b);
    expect(jsonArrayBytes(sized([json, json])).toString('utf8')).toBe(`[${json},${json}]`);
  });
});
