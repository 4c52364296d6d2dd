/**
 * A VesStore in memory, for the VES rule's unit tests (the daemon uses its
 * RelayStore). `shared` makes it stand for a store replicas share, so that trackers over it
 * claim their decisions (as over PostgreSQL), each tracker then being one replica.
 */
import type { RowValue } from '../../src/store/claims.js';
import { RowVersions, type RowTable } from '../../src/store/memory-rows.js';
import type { CasResult } from '../../src/store/store.js';
import type { AlarmMemory, VesAgents } from '../../src/store/state.js';
import type { VesStore } from '../../src/ves/agents.js';

type State = { vims: { id: string }[]; vesAgents: VesAgents; alarms: AlarmMemory };

const table = (a: AlarmMemory): RowTable => a as unknown as RowTable;

export class InMemoryVesStore implements VesStore {
  private state: State;
  private readonly versions: RowVersions;
  readonly shared: boolean;
  /** Writes made (updates and compare-and-sets that landed), for tests that count them. */
  writes = 0;

  constructor(initial: Partial<State> = {}, opts: { readonly shared?: boolean } = {}) {
    this.state = structuredClone({ vims: [], vesAgents: {}, alarms: {}, ...initial });
    this.versions = new RowVersions('alarms', table(this.state.alarms));
    this.shared = opts.shared ?? false;
  }

  get(): Readonly<State> {
    return this.state;
  }

  async update(mutator: (draft: State) => void): Promise<void> {
    const draft = structuredClone(this.state);
    mutator(draft);
    this.versions.track(table(this.state.alarms), table(draft.alarms));
    this.state = draft;
    this.writes++;
  }

  versionOf(_kind: 'alarms', vimId: string, key: string): number {
    return this.versions.of(vimId, key);
  }

  async compareAndSet(
    _kind: 'alarms',
    vimId: string,
    key: string,
    expectedVersion: number,
    value: RowValue | undefined,
  ): Promise<CasResult> {
    const { table: alarms, result } = this.versions.compareAndSet(
      table(this.state.alarms),
      vimId,
      key,
      expectedVersion,
      value,
    );
    if (result.ok) {
      this.state = { ...this.state, alarms: alarms as unknown as AlarmMemory };
      this.writes++;
    }
    return result;
  }
}
