/**
 * The ground floor of the store: what the relay's durable state is (its types, its version, its
 * JSON Schema and how an older version is read), the row shapes both engines keep, and the
 * seed an empty store starts from. Both engines import it: the one JSON file (state-file.ts,
 * behind file-store.ts) and PostgreSQL (pg/); it imports neither.
 */
import type { ValidateFunction } from 'ajv';
import { RelayError } from '../errors.js';
import type { VimSpec } from '../config/vim.js';
import { stateKey, type Subscription } from '../model/subscription.js';
import { createSchemaAjv, describeSchemaErrors } from '../util/schemas.js';
import type { AlarmRecord, VesAgentRecord } from '../model/ves.js';

/** The key of a replica's claim in a shared memory row (src/store/claims.ts). */
export const CLAIM_KEY = 'claim';

/** 2 added vesAgents and alarms; a version 1 file is read as version 2 without them (migrateToV2). */
export const STORE_VERSION = 2;

/** Versions this relay reads: older ones are upgraded in memory, then written as STORE_VERSION. */
const READABLE_VERSIONS: readonly unknown[] = [1, STORE_VERSION];

/**
 * Tracked fields of one compute node as last published, by VIM id then node key. On a
 * PostgreSQL store a row may carry a replica's claim (src/store/claims.ts): read it with plainOf.
 */
export type ComputeNodeMemory = Record<string, Record<string, Record<string, unknown>>>;

export interface StoreState {
  version: typeof STORE_VERSION;
  vims: VimSpec[];
  subscriptions: Subscription[];
  computeNodes: ComputeNodeMemory;
  /** Per VIM id: its VES agent configuration (POST .../vesagent). */
  vesAgents: VesAgents;
  /** Per VIM id, then instance id: the alarms the collector accepted an onset of and no clear yet. */
  alarms: AlarmMemory;
}

export interface StoreSeed {
  readonly vims: readonly VimSpec[];
  readonly subscriptions: readonly Subscription[];
}

export type StateMutator = (draft: StoreState) => void;

let validator: ValidateFunction | undefined;

/** The whole file's shape; VIMs and subscriptions by the same schema files the admin API uses. */
function stateValidator(): ValidateFunction {
  validator ??= createSchemaAjv().compile({
    type: 'object',
    required: ['version', 'vims', 'subscriptions', 'computeNodes', 'vesAgents', 'alarms'],
    $defs: COMPUTE_NODE_ROW_DEFS,
    additionalProperties: false,
    properties: {
      version: { const: STORE_VERSION },
      vims: { type: 'array', items: { type: 'object', $ref: 'vim.schema.json', required: ['id'] } },
      subscriptions: { type: 'array', items: { $ref: 'subscription.schema.json#/$defs/view' } },
      computeNodes: {
        type: 'object',
        additionalProperties: { type: 'object', additionalProperties: { $ref: '#/$defs/computeNodeRow' } },
      },
      ...VES_STATE_PROPERTIES,
    },
  });
  return validator;
}

/** What is wrong with a parsed state, or undefined when it is a valid store. */
export function checkState(value: unknown): string | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const version = (value as { version?: unknown }).version;
    if (version === undefined) return `it has no "version"; this relay reads version ${STORE_VERSION}`;
    if (!READABLE_VERSIONS.includes(version))
      return `it has version ${JSON.stringify(version)}; this relay reads versions ${READABLE_VERSIONS.join(' and ')}`;
  }
  const validate = stateValidator();
  if (!validate(value)) return describeSchemaErrors(validate.errors, 'state');
  const s = value as StoreState;
  const dupVim = firstDuplicate(s.vims.map((v) => v.id));
  if (dupVim !== undefined) return `VIM id "${dupVim}" appears twice`;
  const dupSub = firstDuplicate(s.subscriptions.map((x) => x.id));
  if (dupSub !== undefined) return `subscription id "${dupSub}" appears twice`;
  return undefined;
}

function firstDuplicate(ids: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

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

/**
 * JSON Schema (2020-12) of a compute-node row, for the store's state schema: the node's fields
 * (any; the rule reads the 18 it knows) and, while a replica has claimed it, `claim`.
 * The alarm row's counterpart is schemas/vesagent.schema.json#/$defs/alarmRow.
 */
export const COMPUTE_NODE_ROW_DEFS = {
  computeNodeRow: {
    type: 'object',
    properties: { [CLAIM_KEY]: { $ref: '#/$defs/computeNodeClaim' } },
  },
  computeNodeClaim: {
    type: 'object',
    required: ['messageId', 'claimedAt'],
    additionalProperties: false,
    properties: {
      messageId: { type: 'string' },
      claimedAt: { type: 'string', format: 'date-time' },
      previous: { $ref: '#/$defs/computeNodeRow' },
    },
  },
} as const;

export function emptyState(): StoreState {
  return { version: STORE_VERSION, vims: [], subscriptions: [], computeNodes: {}, vesAgents: {}, alarms: {} };
}

/**
 * The state an empty store starts from (or --reseed puts back): the config's vims and
 * subscriptions. CONFIG_INVALID when they cannot make a valid state.
 */
export function seedState(seed: {
  readonly vims: readonly StoreState['vims'][number][];
  readonly subscriptions: readonly StoreState['subscriptions'][number][];
}): StoreState {
  const s = emptyState();
  s.vims = structuredClone([...seed.vims]);
  // The config takes states case-insensitively; the store keeps them upper-case, as the API does.
  s.subscriptions = seed.subscriptions.map((x) => ({
    ...structuredClone(x),
    states: x.states.map(stateKey),
  }));
  const problem = checkState(s);
  if (problem)
    throw new RelayError(
      'CONFIG_INVALID',
      `the vims and subscriptions in the config cannot seed the store: ${problem}`,
    );
  return s;
}
