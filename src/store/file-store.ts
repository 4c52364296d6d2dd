/**
 * The embedded store of one daemon: the JSON file at store.path (StateFile), behind the
 * RelayStore seam. There is no other replica, so onChange never fires and health is always ok;
 * row versions live in memory (numbered afresh at each start) because
 * compareAndSet only has to order the writers of this process. The check_vim_status window is
 * in memory, as it always was.
 */
import type { StateChange } from '../model/state-change.js';
import { RecentStateChanges } from './recent-window.js';
import { diffRows, idOf, rowId, toRows } from './rows.js';
import { StateFile } from './state-file.js';
import { checkState, emptyState, type StateMutator, type StoreSeed, type StoreState } from './state.js';
import type { SecretCodec } from './secret-codec.js';
import type { CasResult, ConditionalKind, OpenedStore, RelayStore, StoreHealth, StoreKind } from './store.js';

export class FileStore implements RelayStore {
  readonly engine = 'file';
  readonly shared = false;
  private readonly versions = new Map<string, number>();
  /** One counter for all rows, so a row deleted and created again never repeats a version (no ABA). */
  private clock = 0;
  private readonly recent = new Map<string, RecentStateChanges>();
  private readonly since = new Date().toISOString();

  private constructor(
    readonly file: StateFile,
    private readonly recentSize: number,
  ) {
    for (const id of toRows(file.get()).keys()) this.versions.set(id, ++this.clock);
  }

  static async open(path: string, seed: StoreSeed, recentSize: number, codec?: SecretCodec): Promise<OpenedStore> {
    const { store, seeded } = await StateFile.open(path, seed, codec);
    return { store: new FileStore(store, recentSize), seeded };
  }

  get(): Readonly<StoreState> {
    return this.file.get();
  }

  async update(mutator: StateMutator): Promise<void> {
    let before = toRows(this.file.get());
    await this.file.update((draft) => {
      // Inside the queue get() is the state the draft was copied from (not the draft: the mutator changes it in place).
      before = toRows(this.file.get());
      mutator(draft);
    });
    const { upserts, deletes } = diffRows(before, toRows(this.file.get()));
    for (const r of upserts) this.versions.set(idOf(r), ++this.clock);
    for (const r of deletes) this.versions.delete(idOf(r));
  }

  versionOf(kind: ConditionalKind, vimId: string, key: string): number {
    return this.versions.get(rowId(kind, vimId, key)) ?? 0;
  }

  async compareAndSet(
    kind: ConditionalKind,
    vimId: string,
    key: string,
    expectedVersion: number,
    value: Record<string, unknown> | undefined,
  ): Promise<CasResult> {
    const id = rowId(kind, vimId, key);
    let ok = false;
    await this.file.update((draft) => {
      // Checked inside the write queue, so two callers with the same version cannot both pass.
      if ((this.versions.get(id) ?? 0) !== expectedVersion) return;
      ok = true;
      setRow(draft, kind, vimId, key, value);
    });
    if (ok) {
      if (value === undefined) this.versions.delete(id);
      else this.versions.set(id, ++this.clock);
    }
    return { ok, version: this.versions.get(id) ?? 0, value: getRow(this.file.get(), kind, vimId, key) };
  }

  /** The file has no other writer: the snapshot is always what it holds. */
  async refresh(): Promise<void> {}

  onChange(_listener: (kinds: readonly StoreKind[]) => void): () => void {
    return () => undefined;
  }

  health(): StoreHealth {
    return { ok: true, since: this.since };
  }

  pushRecent(vimId: string, entry: StateChange): void {
    let ring = this.recent.get(vimId);
    if (!ring) this.recent.set(vimId, (ring = new RecentStateChanges(this.recentSize)));
    ring.push(entry);
  }

  async queryRecent(vimId: string, states: readonly string[]): Promise<StateChange[]> {
    return this.recent.get(vimId)?.query(states) ?? [];
  }

  dropRecent(vimId: string): void {
    this.recent.delete(vimId);
  }

  async close(): Promise<void> {
    await this.file.flush();
  }
}

type Table = Record<string, Record<string, Record<string, unknown>>>;

function tableOf(s: StoreState, kind: ConditionalKind): Table {
  if (kind === 'computeNodes') return s.computeNodes;
  return s.alarms as unknown as Table;
}

/** Sets or deletes one conditional row in a draft, dropping a VIM's map when it empties. */
export function setRow(
  draft: StoreState,
  kind: ConditionalKind,
  vimId: string,
  key: string,
  value: Record<string, unknown> | undefined,
): void {
  const table = tableOf(draft, kind);
  const byVim = (table[vimId] ??= {});
  if (value === undefined) delete byVim[key];
  else byVim[key] = structuredClone(value);
  if (Object.keys(byVim).length === 0) delete table[vimId];
}

/**
 * What is wrong with one conditional row by the state's schema, or undefined: a row written by
 * compareAndSet is judged as FileStore judges the whole state it lands in, whatever the engine.
 */
export function checkRow(
  kind: ConditionalKind,
  vimId: string,
  key: string,
  value: Record<string, unknown>,
): string | undefined {
  const alone = emptyState();
  setRow(alone, kind, vimId, key, value);
  return checkState(alone);
}

export function getRow(
  s: Readonly<StoreState>,
  kind: ConditionalKind,
  vimId: string,
  key: string,
): Record<string, unknown> | undefined {
  const table = (kind === 'computeNodes' ? s.computeNodes : s.alarms) as unknown as Table;
  return table[vimId]?.[key];
}
