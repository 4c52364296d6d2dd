/** The schema files must agree with the code's vocabularies; Ajv errors must read well and leak nothing. */
import { applyVimDefaults, VIM_ID_PATTERN } from '../../../src/config/vim.js';
import { ERRORS } from '../../../src/errors.js';
import { PHASES, STATES } from '../../../src/model/subscription.js';
import { createSchemaAjv, describeSchemaErrors, loadSchemaFile, quoteValue } from '../../../src/util/schemas.js';

// JSON read from disk, walked by known paths.
type Obj = Record<string, any>;
const vim: Obj = loadSchemaFile('vim.schema.json');
const sub: Obj = loadSchemaFile('subscription.schema.json');
const err: Obj = loadSchemaFile('error.schema.json');

describe('schema files agree with the code', () => {
  it('vimId is VIM_ID_PATTERN', () => {
    expect(vim.$defs.vimId.pattern).toBe(VIM_ID_PATTERN.source);
  });

  it('the VIM fields are exactly the VimConfig keys, and the answer requires them all', () => {
    const keys = Object.keys(applyVimDefaults({ id: 'a', transportUrl: 'rabbit://h/' })).sort();
    expect(Object.keys(vim.$defs.fields.properties).sort()).toEqual(keys);
    expect([...vim.$defs.view.required].sort()).toEqual(keys);
  });

  it('stored states are "*" and STATES; the input description names every state', () => {
    expect(sub.$defs.storedState.enum).toEqual(['*', ...STATES]);
    for (const s of STATES) expect(sub.$defs.state.description).toMatch(new RegExp(`\\b${s}\\b`));
  });

  it('phases are PHASES', () => {
    expect(sub.$defs.fields.properties.phases.items.enum).toEqual([...PHASES]);
  });

  it('error codes are the catalogue', () => {
    expect(err.properties.error.properties.code.enum).toEqual(Object.keys(ERRORS));
  });
});

describe('describeSchemaErrors', () => {
  const ajv = createSchemaAjv();
  const validateVim = ajv.getSchema('vim.schema.json')!;
  const cases: [string, unknown, string][] = [
    ['a wrong type, quoting the value', { transportUrl: 42 }, 'body.transportUrl must be a string (got 42)'],
    ['a missing property', {}, 'body.transportUrl is required'],
    ['an unknown property', { transportUrl: 'rabbit://h/', queueName: 'q' }, 'body.queueName is not a known property'],
    ['a nested item', { transportUrl: 'rabbit://h/', topics: ['a', 7] }, 'body.topics[1] must be a string (got 7)'],
    [
      'several problems at once',
      { transportUrl: 1, exchangeDurable: 'no' },
      'body.transportUrl must be a string (got 1); body.exchangeDurable must be a boolean (got "no")',
    ],
    [
      'a pattern, redacting the quoted URL',
      { transportUrl: 'https://u:pw123@h/' },
      'body.transportUrl "https://u:***@h/" does not match: a rabbit://, kombu://, amqp:// or amqps:// URL without spaces',
    ],
  ];
  it.each(cases)('words %s', (_n, value, expected) => {
    expect(validateVim(value)).toBe(false);
    expect(describeSchemaErrors(validateVim.errors, 'body')).toBe(expected);
  });

  it('says something even without errors', () => {
    expect(describeSchemaErrors(null, 'body')).toBe('body is not valid');
  });
});

describe('quoteValue', () => {
  it('redacts before shortening, so a cut never exposes part of a password', () => {
    const value = `${'a'.repeat(95)} rabbit://user:averyveryverylongsecretpassword@host/`;
    const q = quoteValue(value);
    expect(q.length).toBeLessThanOrEqual(120);
    expect(q).not.toMatch(/averyvery|secret/);
    expect(quoteValue('x'.repeat(300)).endsWith('...')).toBe(true);
  });
});
