/**
 * The snapshot as rows: one per VIM, per subscription, per compute node (vim, node), per VES
 * agent configuration (vim) and per alarm (vim, instance). Both stores diff a mutated snapshot
 * into rows: PgStore writes only the rows that changed, each under compare-and-set on its
 * version; FileStore keeps the same versions in memory for compareAndSet.
 */
import { canonical } from '../util/json.js';
import { emptyState, type StoreState } from './state.js';
import type { StoreKind } from './store.js';

export interface Row {
  readonly kind: StoreKind;
  /** The VIM id, or the subscription id for subscriptions. */
  readonly k1: string;
  /** The node or instance key for computeNodes and alarms, '' otherwise. */
  readonly k2: string;
  readonly value: Record<string, unknown>;
  /** Position in the list for vims and subscriptions (their order is kept), 0 otherwise. */
  readonly ord: number;
}

export const rowId = (kind: StoreKind, k1: string, k2 = ''): string => `${kind}\u0000${k1}\u0000${k2}`;
export const idOf = (r: Pick<Row, 'kind' | 'k1' | 'k2'>): string => rowId(r.kind, r.k1, r.k2);

const obj = (v: unknown) => v as Record<string, unknown>;

export function toRows(s: Readonly<StoreState>): Map<string, Row> {
  const out = new Map<string, Row>();
  const add = (r: Row) => out.set(idOf(r), r);
  s.vims.forEach((v, ord) => add({ kind: 'vims', k1: v.id, k2: '', value: obj(v), ord }));
  s.subscriptions.forEach((x, ord) => add({ kind: 'subscriptions', k1: x.id, k2: '', value: obj(x), ord }));
  for (const [vim, nodes] of Object.entries(s.computeNodes)) {
    for (const [node, v] of Object.entries(nodes)) add({ kind: 'computeNodes', k1: vim, k2: node, value: v, ord: 0 });
  }
  for (const [vim, v] of Object.entries(s.vesAgents))
    add({ kind: 'vesAgents', k1: vim, k2: '', value: obj(v), ord: 0 });
  for (const [vim, byInstance] of Object.entries(s.alarms)) {
    for (const [inst, v] of Object.entries(byInstance))
      add({ kind: 'alarms', k1: vim, k2: inst, value: obj(v), ord: 0 });
  }
  return out;
}

export function fromRows(rows: Iterable<Row>): StoreState {
  const s = emptyState();
  const vims: Row[] = [];
  const subs: Row[] = [];
  for (const r of rows) {
    if (r.kind === 'vims') vims.push(r);
    else if (r.kind === 'subscriptions') subs.push(r);
    else if (r.kind === 'computeNodes') (s.computeNodes[r.k1] ??= {})[r.k2] = r.value;
    // Rows are checked against the state's schema (checkState) before they are written.
    else if (r.kind === 'vesAgents') s.vesAgents[r.k1] = r.value as unknown as StoreState['vesAgents'][string];
    else (s.alarms[r.k1] ??= {})[r.k2] = r.value as unknown as StoreState['alarms'][string][string];
  }
  const byOrd = (a: Row, b: Row) => a.ord - b.ord || (a.k1 < b.k1 ? -1 : 1);
  s.vims = vims.sort(byOrd).map((r) => r.value as unknown as StoreState['vims'][number]);
  s.subscriptions = subs.sort(byOrd).map((r) => r.value as unknown as StoreState['subscriptions'][number]);
  return s;
}

export const sameRow = (a: Row, b: Row): boolean => a.ord === b.ord && canonical(a.value) === canonical(b.value);

export interface RowDiff {
  readonly upserts: Row[];
  readonly deletes: Row[];
}

export function diffRows(before: ReadonlyMap<string, Row>, after: ReadonlyMap<string, Row>): RowDiff {
  const upserts: Row[] = [];
  const deletes: Row[] = [];
  for (const [id, r] of after) {
    const old = before.get(id);
    if (!old || !sameRow(old, r)) upserts.push(r);
  }
  for (const [id, r] of before) if (!after.has(id)) deletes.push(r);
  return { upserts, deletes };
}

export const kindsOf = (rows: Iterable<Pick<Row, 'kind'>>): StoreKind[] => [...new Set([...rows].map((r) => r.kind))];
