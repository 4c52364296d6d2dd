import fc from 'fast-check';
import { jsonArrayBytes } from '../../../src/publish/dmaap-client.js';
import { batchBodyBytes } from '../../../src/publish/batch.js';

describe('jsonArrayBytes', () => {
  it.each([
    [[], '[]'],
    [['{}'], '[{}]'],
    [['{"a":1}', '"é"', '[1,2]'], '[{"a":1},"é",[1,2]]'],
  ])('%j -> %s', (jsons, text) => {
    expect(jsonArrayBytes(jsons).toString('utf8')).toBe(text);
  });

  it('is the UTF-8 of the joined array for any strings, as long as batch.ts counts it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 20 }), (jsons) => {
        const bytes = jsonArrayBytes(jsons);
        expect(bytes.equals(Buffer.from(`[${jsons.join(',')}]`, 'utf8'))).toBe(true);
        expect(bytes.length).toBe(batchBodyBytes(jsons.map((j) => ({ bytes: Buffer.byteLength(j) }))));
      }),
    );
  });

  it('writes cons strings (messages built by concatenation) whole', () => {
    const parts = ['{"event":', '"POWER_OFF"', ',"vm":', JSON.stringify({ name: 'vm-ü'.repeat(50) }), '}'];
    const json = parts.reduce((a, b) => a + b);
    expect(jsonArrayBytes([json, json]).toString('utf8')).toBe(`[${json},${json}]`);
  });
});
