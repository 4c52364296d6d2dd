import { readFileSync } from 'node:fs';
/** The queue keys of a VIM: defaults, and validation messages that name the field. */
import { applyVimDefaults } from '../../../src/config/vim.js';
import { VIM_DEFAULTS } from '../../../src/config/vim.js';
import { validateVimItems } from '../../../src/config/items.js';

const base = { id: 'v1', transportUrl: 'rabbit://g:g@127.0.0.1:5672/' };
const problems = (extra: Record<string, unknown>): string => {
  try {
    validateVimItems([{ ...base, ...extra }]);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('VIM queue keys', () => {
  it('default to a quorum queue, delivery limit 20, no single active consumer, unbounded', () => {
    expect(applyVimDefaults(base)).toMatchObject({ queueType: 'quorum', deliveryLimit: 20, singleActiveConsumer: false, maxLength: 0 });
  });

  it('accept the documented values', () => {
    expect(problems({ queueType: 'classic', deliveryLimit: 0, singleActiveConsumer: true, maxLength: 100000 })).toBe('');
  });

  it.each([
    [{ queueType: 'stream' }, /vims\[0\]\.queueType "stream" must be one of quorum, classic/],
    [{ deliveryLimit: -1 }, /vims\[0\]\.deliveryLimit must be >= 0/],
    [{ deliveryLimit: 2.5 }, /vims\[0\]\.deliveryLimit must be an integer/],
    [{ singleActiveConsumer: 'yes' }, /vims\[0\]\.singleActiveConsumer must be a boolean/],
    [{ maxLength: -5 }, /vims\[0\]\.maxLength must be >= 0/],
  ])('refuse %j naming the field', (extra, message) => {
    expect(problems(extra)).toMatch(message);
  });
});

describe('VIM defaults, one source', () => {
  it('the schema states the same defaults as VIM_DEFAULTS (the code that applies them)', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/vim.schema.json', import.meta.url), 'utf8')) as { $defs?: Record<string, unknown>; properties?: Record<string, unknown> };
    const stated: Record<string, unknown> = {};
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
        if (v && typeof v === 'object' && 'default' in (v) && k in VIM_DEFAULTS) stated[k] = (v).default;
        walk(v);
      }
    };
    walk(schema);
    expect(stated).toEqual(Object.fromEntries(Object.entries(VIM_DEFAULTS).filter(([k]) => k in stated)));
    expect(Object.keys(stated).sort()).toEqual(Object.keys(VIM_DEFAULTS).filter((k) => k !== 'addresses').sort());
  });
});
