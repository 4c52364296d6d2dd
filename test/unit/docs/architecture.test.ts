/**
 * docs/architecture.md is drawn from the code: every path, folder, file and method it names
 * exists, so a move or a rename that leaves the drawing behind fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/daemon.js';

const DOC = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
const TREES = ['src', 'test', 'bench', 'tools'];

function walk(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!statSync(abs).isDirectory()) return [rel];
  return [rel, ...readdirSync(abs).flatMap((name) => walk(path.join(rel, name)))];
}

const ALL = TREES.flatMap(walk);
const FILES = new Set(ALL.filter((p) => !statSync(path.join(ROOT, p)).isDirectory()).map((p) => path.basename(p)));
const DIRS = new Set(ALL.filter((p) => statSync(path.join(ROOT, p)).isDirectory()).map((p) => path.basename(p)));
const SOURCE = ALL.filter((p) => p.startsWith('src/') && p.endsWith('.ts'))
  .map((p) => readFileSync(path.join(ROOT, p), 'utf8'))
  .join('\n');

const unique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const all = (re: RegExp): string[] => unique([...DOC.matchAll(re)].map((m) => m[1]));

describe('docs/architecture.md names only what exists', () => {
  it('every full path (src/..., test/..., docs/...) exists', () => {
    const paths = all(/(?<![\w/.-])((?:src|test|tools|bench|docs)\/[\w./-]*[\w/])/g);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });

  it('every file named on its own (pipeline.ts) exists in the tree', () => {
    const names = all(/(?<![\w/.-])([\w-]+\.(?:ts|md))\b/g);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !FILES.has(n) && !existsSync(path.join(ROOT, 'docs', n)))).toEqual([]);
  });

  it('every folder named as a room (kafka/, amqp10/) exists', () => {
    const dirs = all(/(?<![\w/.-])([\w-]+)\/(?![\w.])/g);
    expect(dirs.length).toBeGreaterThan(5);
    expect(dirs.filter((d) => !DIRS.has(d))).toEqual([]);
  });

  it('every Class.method it names is in the source', () => {
    const methods = all(/`[A-Z]\w+\.(\w+)`/g);
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.filter((m) => !SOURCE.includes(m))).toEqual([]);
  });
});
