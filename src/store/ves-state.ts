/**
 * The VES part of the store as the VES agent changes and reads it: each VIM's VES agent
 * configuration and the open alarms, by VIM id then instance id (VIM_ALARM_KEY for the VIM's
 * own). Their types and schema are the state's (state.ts).
 */
import type { AlarmRecord } from '../model/ves.js';
import { plainOf, type RowValue } from './claims.js';
import type { AlarmMemory, VesAgents } from './state.js';

/** Removes a VIM's VES configuration and alarms (VIM removed, or its VES agent deleted). */
export function dropVesState(draft: { vesAgents: VesAgents; alarms: AlarmMemory }, vimId: string): void {
  delete draft.vesAgents[vimId];
  delete draft.alarms[vimId];
}

/** An alarm row as the alarm it stands for: without a replica's claim (src/store/claims.ts); undefined for none, or a clear being sent. */
export function plainAlarm(row: AlarmRecord | undefined): AlarmRecord | undefined {
  return plainOf(row as unknown as RowValue | undefined) as unknown as AlarmRecord | undefined;
}
