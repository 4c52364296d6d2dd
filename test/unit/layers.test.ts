/**
 * The rooms of src/ stand on floors, and an import only goes down or stays in its room: the
 * vocabulary below (util, errors, model), then the pure rooms, the transports and destinations,
 * config, the store, the VES agent, the steps, the daemon, the admin port and the commands.
 * No file imports itself back round a circle either (run-time imports; `import type` is erased).
 * A type or constant left where it was first needed breaks this: move it down instead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/daemon.js';

/** Lowest first; rooms on one floor may import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ['util', 'errors', 'model'],
  ['notifications'],
  ['filter'],
  ['normalize'],
  ['transport'],
  ['publish'],
  ['config'],
  ['store'],
  ['ves'],
  ['steps'],
  ['daemon'],
  ['admin', 'dmaap-dev'],
  ['cli'],
  ['main'],
];
const floorOf = new Map(FLOORS.flatMap((rooms, i) => rooms.map((r) => [r, i] as const)));

const SRC = path.join(ROOT, 'src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const roomOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0].replace(/\.ts$/, '');

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}
const IMPORT = /^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)';/gm;
const imports: Import[] = files(SRC).flatMap((from) =>
  [...readFileSync(from, 'utf8').matchAll(IMPORT)].map((m) => ({
    from,
    to: path.resolve(path.dirname(from), m[3]).replace(/\.js$/, '.ts'),
    typeOnly: m[2] !== undefined,
  })),
);

it('every room of src/ has a floor', () => {
  const rooms = [...new Set(files(SRC).map(roomOf))].sort();
  expect(rooms.filter((r) => !floorOf.has(r))).toEqual([]);
});

it('no import goes up a floor, types included', () => {
  expect(imports.length).toBeGreaterThan(500);
  const up = imports
    .filter((i) => floorOf.get(roomOf(i.to))! > floorOf.get(roomOf(i.from))!)
    .map((i) => `${path.relative(ROOT, i.from)} -> ${path.relative(ROOT, i.to)}`);
  expect(up).toEqual([]);
});

it('no run-time import circle', () => {
  const graph = new Map<string, string[]>();
  for (const i of imports) if (!i.typeOnly) graph.set(i.from, [...(graph.get(i.from) ?? []), i.to]);
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      circles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(ROOT, x)).join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  expect(circles).toEqual([]);
});
