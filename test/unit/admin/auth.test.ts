import { roleFor, Tokens } from '../../../src/admin/auth.js';

describe('Tokens', () => {
  const tokens = new Tokens({ admin: 'admin-token', read: 'read-token' });
  it.each<[string | undefined, string]>([
    ['Bearer admin-token', 'ok'],
    ['bearer admin-token', 'ok'],
    ['BEARER \tadmin-token ', 'ok'],
    ['Bearer admin-tokenX', 'wrong'],
    ['Bearer admin', 'wrong'],
    ['Bearer ', 'missing'],
    ['Basic YWRtaW4tdG9rZW4=', 'missing'],
    ['admin-token', 'missing'],
    ['Bearer admin-token extra', 'missing'],
    [undefined, 'missing'],
  ])('the header %j -> %s', (header, verdict) => {
    expect(tokens.check(header, 'admin')).toBe(verdict);
  });

  it.each<[string | undefined, 'read' | 'admin', string]>([
    ['Bearer admin-token', 'admin', 'ok'],
    ['Bearer admin-token', 'read', 'ok'],
    ['Bearer read-token', 'read', 'ok'],
    ['Bearer read-token', 'admin', 'forbidden'],
    ['Bearer other', 'read', 'wrong'],
    [undefined, 'read', 'missing'],
  ])('%j asking for %s -> %s', (header, need, verdict) => {
    expect(tokens.check(header, need)).toBe(verdict);
  });

  it('lets everything through without an admin token, and takes a replaced token at once', () => {
    const open = new Tokens({ admin: '', read: '' });
    expect(open.required).toBe(false);
    expect(open.check(undefined, 'admin')).toBe('ok');
    const t = new Tokens({ admin: 'a-1', read: 'r-1' });
    t.set('read', 'r-2');
    expect(t.check('Bearer r-1', 'read')).toBe('wrong');
    expect(t.check('Bearer r-2', 'read')).toBe('ok');
    expect(t.secrets()).toEqual(['a-1', 'r-2']);
  });
});

describe('roleFor', () => {
  it.each<[string, string | undefined, string]>([
    ['GET', '/api/v1/vims', 'read'],
    ['POST', '/api/multicloud-vio/v0/:vimId/check_vim_status', 'read'],
    ['POST', '/api/multicloud-vio/v0/:vimId/vesagent', 'admin'],
    ['PUT', '/api/v1/vims/:vimId', 'admin'],
    ['DELETE', '/api/v1/subscriptions/:id', 'admin'],
    ['PATCH', undefined, 'read'],
  ])('%s %s needs %s', (method, url, role) => {
    expect(roleFor(method, url)).toBe(role);
  });
});
