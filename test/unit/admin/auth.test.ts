import { createBearerCheck } from '../../../src/admin/auth.js';

describe('createBearerCheck', () => {
  const check = createBearerCheck('s3cr3t-token');
  it.each<[string | undefined, string]>([
    ['Bearer s3cr3t-token', 'ok'],
    ['bearer s3cr3t-token', 'ok'],
    ['BEARER \ts3cr3t-token ', 'ok'],
    ['Bearer s3cr3t-tokenX', 'wrong'],
    ['Bearer s3cr3t', 'wrong'],
    ['Bearer ', 'missing'],
    ['Basic czNjcjN0LXRva2Vu', 'missing'],
    ['s3cr3t-token', 'missing'],
    ['Bearer s3cr3t-token extra', 'missing'],
    [undefined, 'missing'],
  ])('%j -> %s', (header, outcome) => {
    expect(check(header)).toBe(outcome);
  });
});
