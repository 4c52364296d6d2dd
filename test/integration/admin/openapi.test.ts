/** schemas/openapi.json and the routes the server registers must describe each other exactly. */
import { readFileSync } from 'node:fs';
import { loadBundledOpenApi } from '../../../src/admin/openapi.js';
import { redactDeep } from '../../../src/util/redact.js';
import { call, startAdmin, type Harness } from './harness.js';

type Operation = { parameters?: { $ref?: string; name?: string; in?: string }[]; responses: Record<string, unknown> };
type PathItem = Record<string, Operation | unknown[]> & {
  parameters?: { $ref?: string; name?: string; in?: string }[];
};
interface Doc {
  paths: Record<string, PathItem>;
  components: { parameters: Record<string, { name: string; in: string }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const onDisk = JSON.parse(readFileSync('schemas/openapi.json', 'utf8')) as Doc;

let h: Harness;
beforeAll(async () => {
  h = await startAdmin({ authToken: 'openapi-token' });
});
afterAll(async () => {
  await h.close();
});

function documented(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((k) => METHODS.includes(k))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

it('every registered route is in openapi.json, and every documented one is registered', () => {
  const registered = h.server.routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
  expect(registered.length).toBeGreaterThanOrEqual(13);
  expect([...registered].sort()).toEqual(documented(onDisk).sort());
});

it('every path parameter in a route is declared for it, by the same name', () => {
  for (const [path, item] of Object.entries(onDisk.paths)) {
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const declared = (item.parameters ?? [])
      .map((p) => (p.$ref ? onDisk.components.parameters[p.$ref.split('/').pop()!] : p))
      .filter((p) => p.in === 'path')
      .map((p) => p.name)
      .sort();
    expect({ path, params: declared }).toEqual({ path, params: inPath });
  }
});

it('every operation documents its error answers, 401 included under /api/', () => {
  for (const [path, item] of Object.entries(onDisk.paths)) {
    for (const m of METHODS) {
      const op = item[m] as Operation | undefined;
      if (!op) continue;
      const codes = Object.keys(op.responses);
      expect(codes.some((c) => c.startsWith('2'))).toBe(true);
      if (path.startsWith('/api/'))
        expect({ path, m, has401: codes.includes('401') }).toEqual({ path, m, has401: true });
      if (m === 'put' || m === 'post')
        expect({ path, m, codes: ['400', '413', '415'].filter((c) => codes.includes(c)) }).toEqual({
          path,
          m,
          codes: ['400', '413', '415'],
        });
    }
  }
});

it('GET /api/openapi.json serves the bundled document', async () => {
  const a = await call(h.url, 'GET', '/api/openapi.json', { token: 'openapi-token' });
  expect(a.status).toBe(200);
  // Like every answer it is redacted: the transportUrl example reads user:***@host.
  expect(a.json).toEqual(redactDeep(loadBundledOpenApi()));
  expect(a.text).toContain('rabbit://guest:***@127.0.0.1:5672/');
  expect((a.json as { openapi: string }).openapi).toBe('3.1.0');
});
