import { loadBundledOpenApi } from '../../../src/admin/openapi.js';
import { SCHEMA_FILES, loadSchemaFile } from '../../../src/util/schemas.js';

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      doc,
    );
}

describe('schemas/openapi.json on disk', () => {
  it('refers to the schema files, and each reference resolves in its file', () => {
    const external = refs(loadSchemaFile('openapi.json')).filter((r) => !r.startsWith('#'));
    expect(external.length).toBeGreaterThan(5);
    for (const ref of external) {
      const [file, fragment = ''] = ref.split('#');
      expect(SCHEMA_FILES).toContain(file);
      expect({ ref, found: resolvePointer(loadSchemaFile(file), fragment) !== undefined }).toEqual({
        ref,
        found: true,
      });
    }
  });
});

describe('the served (bundled) document', () => {
  const doc = loadBundledOpenApi();

  it('embeds every schema file and points every $ref inside itself', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(30);
    for (const ref of all) {
      expect(ref.startsWith('#/')).toBe(true);
      expect({ ref, found: resolvePointer(doc, ref.slice(1)) !== undefined }).toEqual({ ref, found: true });
    }
    const schemas = (doc.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    for (const name of SCHEMA_FILES) {
      expect(schemas[name]).toBeDefined();
      expect(schemas[name].$id).toBeUndefined();
    }
  });

  it('keeps the schema files as they are on disk, apart from the references', () => {
    const served = (doc.components as { schemas: Record<string, Record<string, unknown>> }).schemas['vim.schema.json'];
    const disk = loadSchemaFile('vim.schema.json');
    expect(served.required).toEqual(disk.required);
    expect(served.$ref).toBe('#/components/schemas/vim.schema.json/$defs/fields');
  });
});
