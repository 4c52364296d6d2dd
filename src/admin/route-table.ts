/**
 * The routes the server registered, kept so that a known path asked with the wrong method can
 * answer 405 with an Allow header (fastify itself answers 404), and so a test can hold the
 * table against openapi.json.
 */
export interface RouteEntry {
  readonly method: string;
  /** fastify's form: /api/v1/vims/:vimId */
  readonly url: string;
}

export class RouteTable {
  private readonly entries: RouteEntry[] = [];
  private readonly patterns = new Map<string, { re: RegExp; methods: Set<string> }>();

  add(method: string, url: string): void {
    this.entries.push({ method, url });
    let p = this.patterns.get(url);
    if (!p) {
      const source = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      p = { re: new RegExp(`^${source}$`), methods: new Set() };
      this.patterns.set(url, p);
    }
    p.methods.add(method);
  }

  list(): readonly RouteEntry[] {
    return this.entries;
  }

  /** The methods registered for a concrete path, sorted; empty when the path is unknown. */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const { re, methods: ms } of this.patterns.values()) if (re.test(path)) for (const m of ms) methods.add(m);
    return [...methods].sort();
  }
}
