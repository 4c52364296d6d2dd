/** A VesStore in memory: for `replay` and for the rule's unit tests (the daemon uses the StateStore). */
import type { AlarmMemory, VesAgents } from '../store/ves-state.js';
import type { VesStore } from './agents.js';

type State = { vims: { id: string }[]; vesAgents: VesAgents; alarms: AlarmMemory };

export class InMemoryVesStore implements VesStore {
  private state: State;
  /** Updates made, for tests that count writes. */
  writes = 0;

  constructor(initial: Partial<State> = {}) {
    this.state = structuredClone({ vims: [], vesAgents: {}, alarms: {}, ...initial });
  }

  get(): Readonly<State> {
    return this.state;
  }

  async update(mutator: (draft: State) => void): Promise<void> {
    const draft = structuredClone(this.state);
    mutator(draft);
    this.state = draft;
    this.writes++;
  }
}
