/**
 * A replica's copy of the rows, with the version of each as last read or written, and the
 * frozen snapshot built from them. Every apply says which kinds it changed.
 */
import { fromRows, idOf, type Row, type RowDiff } from '../rows.js';
import type { StoreState } from '../state.js';
import type { StoreKind } from '../store.js';
import type { Versioned } from './tables.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class PgCache {
  readonly rows = new Map<string, Row>();
  private readonly versions = new Map<string, number>();
  snapshot: Readonly<StoreState> = deepFreeze(fromRows([]));

  version(id: string): number {
    return this.versions.get(id) ?? 0;
  }

  /** Replaces every row with `loaded` (a full reload). */
  applyAll(loaded: ReadonlyMap<string, Versioned>): StoreKind[] {
    return this.applyScoped(loaded, new Set([...this.rows.keys(), ...loaded.keys()]));
  }

  /** For each id in `ids`: the row in `loaded`, or no row when `loaded` lacks it. */
  applyScoped(loaded: ReadonlyMap<string, Versioned>, ids: Iterable<string>): StoreKind[] {
    const changed = new Set<StoreKind>();
    for (const id of ids) {
      const now = loaded.get(id);
      const had = this.rows.get(id);
      if (now) {
        if (this.versions.get(id) === now.version) continue;
        this.rows.set(id, now.row);
        this.versions.set(id, now.version);
        changed.add(now.row.kind);
      } else if (had) {
        this.rows.delete(id);
        this.versions.delete(id);
        changed.add(had.kind);
      }
    }
    if (changed.size) this.rebuild();
    return [...changed];
  }

  /** What this replica just committed: the rows of the diff at the versions the writes returned. */
  applyWrite(diff: RowDiff, written: ReadonlyMap<string, number>): void {
    for (const r of diff.upserts) {
      this.rows.set(idOf(r), structuredClone(r));
      this.versions.set(idOf(r), written.get(idOf(r))!);
    }
    for (const r of diff.deletes) {
      this.rows.delete(idOf(r));
      this.versions.delete(idOf(r));
    }
    this.rebuild();
  }

  private rebuild(): void {
    this.snapshot = deepFreeze(fromRows(this.rows.values()));
  }
}
