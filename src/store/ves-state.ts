/**
 * The VES part of the store: each VIM's VES agent configuration and the open alarms, by VIM id
 * then instance id (VIM_ALARM_KEY for the VIM's own). Their shapes, for checkState, and the
 * step that reads a version 1 file (written before VES existed) as version 2.
 */
import type { AlarmRecord, VesAgentRecord } from '../ves/types.js';
import { plainOf, type RowValue } from './claims.js';

export type VesAgents = Record<string, VesAgentRecord>;
export type AlarmMemory = Record<string, Record<string, AlarmRecord>>;

/** JSON Schema (2020-12) of the two keys, referring to schemas/vesagent.schema.json. */
export const VES_STATE_PROPERTIES = {
  vesAgents: {
    type: 'object',
    propertyNames: { $ref: 'vim.schema.json#/$defs/vimId' },
    additionalProperties: { $ref: 'vesagent.schema.json#/$defs/record' },
  },
  alarms: {
    type: 'object',
    propertyNames: { $ref: 'vim.schema.json#/$defs/vimId' },
    additionalProperties: { type: 'object', additionalProperties: { $ref: 'vesagent.schema.json#/$defs/alarmRow' } },
  },
} as const;

/**
 * Version 1 -> 2: no VES agent and no alarm yet. Anything else is left for checkState to
 * judge (and name); a file is upgraded in memory and written as version 2 on its next update.
 */
export function migrateToV2(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (v.version !== 1) return value;
  return { ...v, version: 2, vesAgents: {}, alarms: {} };
}

/** Removes a VIM's VES configuration and alarms (VIM removed, or its VES agent deleted). */
export function dropVesState(draft: { vesAgents: VesAgents; alarms: AlarmMemory }, vimId: string): void {
  delete draft.vesAgents[vimId];
  delete draft.alarms[vimId];
}

/** An alarm row as the alarm it stands for: without a replica's claim (src/store/claims.ts); undefined for none, or a clear being sent. */
export function plainAlarm(row: AlarmRecord | undefined): AlarmRecord | undefined {
  return plainOf(row as unknown as RowValue | undefined) as unknown as AlarmRecord | undefined;
}
