import { RouteTable } from '../../../src/admin/route-table.js';

describe('RouteTable', () => {
  const t = new RouteTable();
  t.add('GET', '/api/v1/vims');
  t.add('GET', '/api/v1/vims/:vimId');
  t.add('PUT', '/api/v1/vims/:vimId');
  t.add('POST', '/api/multicloud-vio/v0/:vimId/check_vim_status');
  t.add('GET', '/api/openapi.json');

  it.each<[string, string[]]>([
    ['/api/v1/vims', ['GET']],
    ['/api/v1/vims/vio-1', ['GET', 'PUT']],
    ['/api/multicloud-vio/v0/x/check_vim_status', ['POST']],
    ['/api/openapi.json', ['GET']],
    ['/api/openapiXjson', []], // a dot in a path is literal
    ['/api/v1/vims/a/b', []],
    ['/api/v1/vims/', []],
    ['/nope', []],
  ])('%s allows %j', (path, methods) => {
    expect(t.methodsFor(path)).toEqual(methods);
  });

  it('lists what was added, in order', () => {
    expect(t.list().map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/v1/vims',
      'GET /api/v1/vims/:vimId',
      'PUT /api/v1/vims/:vimId',
      'POST /api/multicloud-vio/v0/:vimId/check_vim_status',
      'GET /api/openapi.json',
    ]);
  });
});
