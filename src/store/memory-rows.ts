/**
 * Row versions for conditional rows held in plain objects, by VIM id then key: the in-memory
 * stores of `replay` (InMemoryNodeMemory) and of the unit tests (test/helpers/ves-memory-store.ts) give
 * versionOf and compareAndSet with them, numbered as FileStore numbers its rows (one clock, so
 * a row deleted and created again never repeats a version) and validated as FileStore
 * validates them.
 */
import { RelayError } from '../errors.js';
import type { RowValue } from './claims.js';
import { checkRow } from './file-store.js';
import { canonical } from '../util/json.js';
import type { CasResult, ConditionalKind } from './store.js';

export type RowTable = Record<string, Record<string, RowValue>>;

const idOf = (vimId: string, key: string): string => `${vimId}\u0000${key}`;

export class RowVersions {
  private readonly versions = new Map<string, number>();
  private clock = 0;

  constructor(
    private readonly kind: ConditionalKind,
    initial: Readonly<RowTable>,
  ) {
    this.track({}, initial);
  }

  of(vimId: string, key: string): number {
    return this.versions.get(idOf(vimId, key)) ?? 0;
  }

  /** After the table changed from `before` to `after` by other means (an update): a new version for each row that changed. */
  track(before: Readonly<RowTable>, after: Readonly<RowTable>): void {
    for (const [vimId, rows] of Object.entries(after)) {
      for (const [key, row] of Object.entries(rows)) {
        if (canonical(before[vimId]?.[key]) !== canonical(row)) this.versions.set(idOf(vimId, key), ++this.clock);
      }
    }
    for (const [vimId, rows] of Object.entries(before)) {
      for (const key of Object.keys(rows))
        if (after[vimId]?.[key] === undefined) this.versions.delete(idOf(vimId, key));
    }
  }

  /**
   * compareAndSet on `table`: the table to keep (a changed copy when the write happened) and
   * the result. Throws RelayError(VALIDATION_FAILED) for a value that is not a row of its kind.
   */
  compareAndSet(
    table: Readonly<RowTable>,
    vimId: string,
    key: string,
    expectedVersion: number,
    value: RowValue | undefined,
  ): { table: Readonly<RowTable>; result: CasResult } {
    const problem = value === undefined ? undefined : checkRow(this.kind, vimId, key, value);
    if (problem) throw new RelayError('VALIDATION_FAILED', `store update refused: ${problem}`);
    if (this.of(vimId, key) !== expectedVersion)
      return { table, result: { ok: false, version: this.of(vimId, key), value: table[vimId]?.[key] } };
    const next: RowTable = structuredClone(table);
    const rows = (next[vimId] ??= {});
    if (value === undefined) {
      delete rows[key];
      this.versions.delete(idOf(vimId, key));
    } else {
      rows[key] = structuredClone(value);
      this.versions.set(idOf(vimId, key), ++this.clock);
    }
    if (Object.keys(rows).length === 0) delete next[vimId];
    return { table: next, result: { ok: true, version: this.of(vimId, key), value: next[vimId]?.[key] } };
  }
}
