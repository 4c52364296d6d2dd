import { MAX_BODY_DEPTH, nestingDepth, parseJsonBody } from '../../../src/admin/json-body.js';

describe('nestingDepth', () => {
  it.each([
    ['{}', 1],
    ['{"a": [1, {"b": []}]}', 4],
    ['"[[[[{{{"', 0],
    ['{"a": "\\"[[[["}', 1],
    ['[[], [[]]]', 3],
  ])('%s is %d deep', (text, depth) => {
    expect(nestingDepth(text, 100)).toBe(depth);
  });

  it('stops counting past the limit', () => {
    expect(nestingDepth('['.repeat(1_000_000), MAX_BODY_DEPTH)).toBe(MAX_BODY_DEPTH + 1);
  });
});

describe('parseJsonBody', () => {
  it('parses a body within the bound', () => {
    const deepest = `${'['.repeat(MAX_BODY_DEPTH)}${']'.repeat(MAX_BODY_DEPTH)}`;
    expect(() => parseJsonBody(deepest)).not.toThrow();
    expect(() => parseJsonBody(`[${deepest}]`)).toThrow(/more than 32 levels deep/);
    expect(parseJsonBody('{"a": ["__proto__"]}')).toEqual({ a: ['__proto__'] });
  });

  it('refuses prototype keys by path', () => {
    expect(() => parseJsonBody('{"x": {"__proto__": 1}}')).toThrow(/^body\.x\.__proto__: /);
    expect(() => parseJsonBody('[{"constructor": {"prototype": 1}}]')).toThrow(/^body\[0\]\.constructor\.prototype: /);
    expect(parseJsonBody('{"constructor": "x"}')).toEqual({ constructor: 'x' });
  });
});
