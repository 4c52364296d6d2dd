/**
 * After the store is opened: say where the VIMs and subscriptions come from. The config's lists
 * seed an empty store only; afterwards the store is the source of truth, so a VIM_EVENT_RELAY_VIMS
 * that differs from it is ignored, said at warn with the ids, unless `run --reseed` asked for the
 * configuration's lists to replace the store's (the VES configurations and the compute-node and
 * alarm memory stay).
 */
import type { RelayConfig } from '../config/load.js';
import { seedDrift } from '../config/sources.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';
import { storeLocation } from './open.js';
import { describeStore } from './read-only.js';
import { seedState } from './state.js';
import type { RelayStore } from './store.js';

export interface SeedOptions {
  readonly cfg: RelayConfig;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** `run --reseed`: the configuration's vims and subscriptions replace the store's. */
  readonly reseed: boolean;
}

export async function settleSeed(store: RelayStore, seeded: boolean, o: SeedOptions): Promise<void> {
  const where = { engine: store.engine, location: redactText(storeLocation(o.cfg)) };
  const counts = () => ({ vims: store.get().vims.length, subscriptions: store.get().subscriptions.length });
  if (seeded) {
    o.log.info('store seeded from the config file', { ...where, ...counts() });
    return;
  }
  if (o.reseed) {
    const from = seedState(o.cfg);
    await store.update((draft) => {
      draft.vims = from.vims;
      draft.subscriptions = from.subscriptions;
    });
    o.log.warn("store re-seeded from the configuration (--reseed): its vims and subscriptions replaced the store's", {
      ...where,
      ...counts(),
    });
    return;
  }
  o.log.info("store loaded; the config file's vims and subscriptions are ignored (the store is the source of truth)", {
    ...where,
    ...counts(),
  });
  for (const d of seedDrift(o.env, o.cfg, store.get(), describeStore(o.cfg)))
    o.log.warn(d.message, {
      variable: d.variable,
      onlyInVariable: d.onlyInVariable,
      onlyInStore: d.onlyInStore,
      changed: d.changed,
    });
}
