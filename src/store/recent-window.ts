/**
 * The check_vim_status window of one VIM: its recent state changes, bounded, read newest first.
 * The store owns it (FileStore in memory; PgStore keeps this replica's part here and shares the
 * window through PostgreSQL); the pipeline hands each change to the store.
 */
import type { StateChange } from '../model/state-change.js';
import { Ring } from '../util/ring.js';

/** Ring buffer of state changes; read newest first. */
export class RecentStateChanges extends Ring<StateChange> {
  /** Newest first, those whose event is in `states` (upper case) or all with "*". */
  query(states: readonly string[]): StateChange[] {
    const all = states.includes('*');
    const wanted = new Set(states.map((s) => s.toUpperCase()));
    return this.newestFirst().filter((c) => all || wanted.has(c.event));
  }
}
