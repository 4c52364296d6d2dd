/** A JSON object (not an array, not null): the one test every room uses for parsed input. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
