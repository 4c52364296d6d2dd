/**
 * The VES agent, assembled: what the daemon builds once and wires in.
 *
 * - `agents`: the VES agent configurations (RelayControl's getVesAgent / putVesAgent /
 *   deleteVesAgent are agents.get / put / delete);
 * - `alarms`: per notification, decide() gives the VES record to send as a PreparedStep (or
 *   null), committed once the collector accepted it, released at the end;
 * - `destination`: the VesDestination those records go to;
 * - `vimWatch`: told every listener status change, raises and clears
 *   Fault_MultiCloud_VIMUnreachable through the same destination.
 */
import type { VesConfig } from '../config/load.js';
import type { DestinationHooks } from '../publish/destination.js';
import { VesDestination } from '../publish/ves/destination.js';
import type { Logger } from '../util/logger.js';
import { VesAgentRegistry, type VesStore } from './agents.js';
import { VesAlarmTracker } from './alarm-tracker.js';
import { VimUnreachableWatch } from './vim-watch.js';

export interface VesAgent {
  readonly agents: VesAgentRegistry;
  readonly alarms: VesAlarmTracker;
  readonly destination: VesDestination;
  readonly vimWatch: VimUnreachableWatch;
  /** Accepted alarm changes (VMs and VIMs) the store has not taken yet (metric ves_alarms_unsaved). */
  unsavedAlarms(): number;
  /**
   * Stops the VIM watch, then closes the destination (what it has not delivered within
   * `deadlineMs` rejects with PUBLISHER_CLOSED), then tries the unsaved alarms one last time.
   */
  close(deadlineMs: number): Promise<void>;
}

export interface VesAgentOptions {
  /** The daemon's open store; a StateFile fits. */
  readonly store: VesStore;
  readonly config: VesConfig;
  readonly logger: Logger;
  /** The daemon's metric hooks, as for the other destinations (destination 'ves'). */
  readonly hooks?: DestinationHooks;
}

/** Throws RelayError(CONFIG_INVALID) when ves.caFile cannot be read. */
export function createVesAgent(o: VesAgentOptions): VesAgent {
  const { vimUnreachableAfterMs, caFile, ...rest } = o.config;
  // The watch sends through the destination, which finds collectors through the registry, which tells the watch of new configurations.
  const vimWatch = new VimUnreachableWatch({
    store: o.store,
    send: (r) => destination.send(r),
    unreachableAfterMs: vimUnreachableAfterMs,
    log: o.logger,
  });
  const agents = new VesAgentRegistry(o.store, undefined, (vimId) => vimWatch.configured(vimId));
  const alarms = new VesAlarmTracker(o.store, o.logger);
  const destination = new VesDestination({
    ...rest,
    ...(caFile ? { caFile } : {}),
    collectorFor: agents.collectorFor,
    logger: o.logger,
    hooks: o.hooks,
  });
  return {
    agents,
    alarms,
    destination,
    vimWatch,
    unsavedAlarms: () => alarms.unsavedCount() + vimWatch.unsavedCount(),
    async close(deadlineMs) {
      const watching = vimWatch.close();
      await destination.close(deadlineMs);
      await watching;
      await alarms.close();
    },
  };
}
