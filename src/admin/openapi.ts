/**
 * schemas/openapi.json references the schema files by name (`vim.schema.json#/$defs/view`),
 * which resolves on disk beside it but not for a client that fetched the document over HTTP.
 * The served copy therefore embeds each schema file under components.schemas (keyed by its
 * file name) and rewrites every reference to point inside the document.
 */
import { SCHEMA_FILES, loadSchemaFile, type JsonObject } from '../util/schemas.js';

const FILE_REF = /^([a-z0-9-]+\.schema\.json)(#.*)?$/;

/** Where a reference found in `ownFile` (undefined: openapi.json itself) points in the bundle. */
function rewriteRef(ref: string, ownFile: string | undefined): string {
  const m = FILE_REF.exec(ref);
  const file = m ? m[1] : ownFile;
  const fragment = m ? (m[2] ?? '') : ref;
  if (!file || (!fragment.startsWith('#') && fragment !== '')) return ref;
  return `#/components/schemas/${file}${fragment.replace(/^#/, '')}`;
}

function rewrite(node: unknown, ownFile: string | undefined): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, ownFile));
  if (!node || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = rewriteRef(v, ownFile);
    // An embedded $id would re-base the rewritten references; $schema is set document-wide.
    else if (ownFile !== undefined && (k === '$id' || k === '$schema') && typeof v === 'string') continue;
    else out[k] = rewrite(v, ownFile);
  }
  return out;
}

/** The OpenAPI document as served: self-contained, every $ref a JSON pointer into it. */
export function loadBundledOpenApi(): JsonObject {
  const doc = rewrite(loadSchemaFile('openapi.json'), undefined) as JsonObject & {
    components: { schemas: JsonObject };
  };
  for (const name of SCHEMA_FILES) doc.components.schemas[name] = rewrite(loadSchemaFile(name), name);
  return doc;
}
