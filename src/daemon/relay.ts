/**
 * The daemon's lifecycle: opens the store, then builds the destinations, the pipeline, the VIM
 * catalogue, the control plane and the admin port over it, and is the only place that knows the
 * start and stop order. What the admin port asks is the ControlPlane's (src/daemon/control-plane.ts).
 */
import type { RelayConfig } from '../config/load.js';
import { DmaapPublisher } from '../publish/dmaap/publisher.js';
import type { Destination, DestinationName, SinkName } from '../publish/destination.js';
import { KafkaDestination } from '../publish/kafka/destination.js';
import { kafkaDestinationOptions, kafkaTopicWanted } from '../publish/kafka/config.js';
import { openStore } from '../store/open.js';
import { settleSeed } from '../store/reseed.js';
import type { RelayStore } from '../store/store.js';
import { retireQueue } from '../transport/retire.js';
import { retireChange } from '../transport/retire-change.js';
import { applyVimDefaults } from '../config/vim.js';
import type { Logger } from '../util/logger.js';
import { ControlPlane } from './control-plane.js';
import { DecisionLog } from './decisions.js';
import type { AdminPort, AdminPortFactory } from './control.js';
import { OpsControl } from './ops-control.js';
import { BacklogPoller } from './backlog.js';
import { Pipeline } from './pipeline.js';
import { ComputeNodeTracker } from '../steps/compute-nodes.js';
import { MetricsObserver } from './observer.js';
import { CLOSE_GRACE_MS, settlesWithin } from '../util/deadline.js';
import { VimCatalogue } from './vim-catalogue.js';
import { createVesAgent, type VesAgent } from '../ves/index.js';
import { vesStep } from '../steps/ves.js';

export interface RelayOptions {
  /** Builds the admin port over the daemon's control (cli/run.ts: admin/server.ts's). */
  readonly adminPort: AdminPortFactory;
  /** --reseed: the configuration's VIMs and subscriptions replace the stored ones. */
  readonly reseed?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Opens the store and settles the configuration's seed against it (store/reseed.ts). */
async function openRelayStore(cfg: RelayConfig, log: Logger, opts: RelayOptions): Promise<RelayStore> {
  const { store, seeded } = await openStore(cfg, { vims: cfg.vims, subscriptions: cfg.subscriptions }, log);
  if (!cfg.store.secretKeyFile)
    log.warn(
      'secrets are stored in clear: VIM transport URLs and VES collector passwords are readable by whoever reads the store; set store.secretKeyFile to encrypt them',
      { engine: store.engine },
    );
  await settleSeed(store, seeded, { cfg, log, env: opts.env ?? process.env, reseed: opts.reseed ?? false });
  return store;
}

export class Relay {
  private readonly observer = new MetricsObserver();
  private readonly destinations: Destination[];
  private readonly ves: VesAgent;
  private readonly catalogue: VimCatalogue;
  private admin?: AdminPort;
  private readonly control: ControlPlane;
  private unwatchStore?: () => void;
  private readonly backlog: BacklogPoller;
  /** The admin port's URL once listening. */
  adminUrl = '';

  /**
   * Opens the store, then builds the Relay over it; nothing listens or consumes before start().
   * Rejects as opening the store does (STORE_UNAVAILABLE, ...); a store that opened is closed
   * again when the parts cannot be built.
   */
  static async open(cfg: RelayConfig, log: Logger, opts: RelayOptions): Promise<Relay> {
    const store = await openRelayStore(cfg, log, opts);
    try {
      return new Relay(cfg, log, opts, store);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  /** Every part is built over `store`, which is open (Relay.open); stop() closes it. */
  constructor(
    private readonly cfg: RelayConfig,
    private readonly log: Logger,
    private readonly opts: Pick<RelayOptions, 'adminPort'>,
    private readonly store: RelayStore,
  ) {
    const hooks = this.observer.hooks();
    this.ves = createVesAgent({ store, config: cfg.ves, logger: log, hooks });
    const destinations: Partial<Record<DestinationName, Destination>> = {
      ves: this.ves.destination,
      dmaap: new DmaapPublisher({ ...cfg.dmaap, ...cfg.publish, hooks }, log),
      // Connects on its first record: configured but unused costs nothing.
      ...(cfg.kafka.brokers.length > 0
        ? {
            kafka: new KafkaDestination(
              // What waits for a topic no subscription names any more is given up, not retried for ever.
              kafkaDestinationOptions(
                cfg.kafka,
                hooks,
                kafkaTopicWanted(() => store.get().subscriptions, cfg.sinks.default),
              ),
              log,
            ),
          }
        : {}),
    };
    this.destinations = Object.values(destinations);
    this.observer.watchDestinations(this.destinations);
    this.observer.watchUnsavedAlarms(() => this.ves.unsavedAlarms());
    const decisions = new DecisionLog(log);
    const render = { errorFault: cfg.messages.errorFault };
    const sinks = new Set<SinkName>(['dmaap', ...(destinations.kafka ? (['kafka'] as const) : [])]);
    const pipeline = new Pipeline({
      destinations,
      defaultSink: cfg.sinks.default,
      subscriptions: () => store.get().subscriptions,
      observer: this.observer,
      logger: log,
      maxBodyBytes: cfg.transport.maxBodyBytes,
      render,
      decisions,
      computeNode: new ComputeNodeTracker(store, log),
      sideSteps: [vesStep(this.ves.alarms, (vimId) => store.get().vesAgents[vimId] !== undefined)],
    });
    // Replicas stop a removed or moved VIM's listener once they see the change (a notification,
    // at worst the next reload) and have drained it: its old queue is not deleted under them.
    const retiring = {
      transport: cfg.transport,
      othersGoneWithinMs: cfg.store.url ? cfg.store.reconcileMs + cfg.shutdown.timeoutMs + CLOSE_GRACE_MS : 0,
      // Added again (or changed back) through another replica meanwhile: that VIM's queue stays.
      registered: () => store.get().vims.map((s) => applyVimDefaults(s)),
    };
    this.catalogue = new VimCatalogue(
      store,
      pipeline,
      {
        transport: cfg.transport,
        dedupeWindow: cfg.dedupe.windowSize,
        // Replicas answer check_vim_status from the shared window; one daemon from its own.
        shareRecent: (vimId, change) => store.pushRecent(vimId, change),
        drainTimeoutMs: cfg.shutdown.timeoutMs,
        defaultSink: cfg.sinks.default,
        sinks,
        retire: async (vim, purge) => void (await retireQueue(vim, { purge, ...retiring }, log)),
        retireChange: async (old, next) => void (await retireChange(old, next, retiring, log)),
        onStatus: (vimId, change) => this.ves.vimWatch.statusChanged(vimId, change),
        onRemoved: (vimId) => this.ves.vimWatch.forget(vimId),
      },
      this.observer,
      log,
    );
    this.backlog = new BacklogPoller({
      vims: () => this.catalogue.vims(),
      transport: cfg.transport,
      intervalMs: cfg.monitor.backlogIntervalMs,
      metrics: this.observer.m,
      logger: log,
    });
    this.control = new ControlPlane({
      catalogue: this.catalogue,
      store,
      vesAgents: this.ves.agents,
      metrics: this.observer.registry,
      destinations: this.destinations,
      readiness: cfg.admin.readiness,
      ops: new OpsControl({
        store,
        decisions,
        defaultSink: cfg.sinks.default,
        render,
        lastConsumedAt: (vim) => this.observer.lastConsumedAt(vim),
        backlog: (vim) => this.backlog.backlog(vim),
        vim: (id) => this.catalogue.vim(id)?.vim,
        transport: cfg.transport,
        logger: log,
      }),
      subscriptionWarnings: async (sub) => {
        const kafka = destinations.kafka as KafkaDestination | undefined;
        if (!kafka || (sub.sink ?? cfg.sinks.default) !== 'kafka') return [];
        const problem = await kafka.topicProblem(sub.topic);
        return problem ? [problem] : [];
      },
    });
  }

  private get stopping(): boolean {
    return this.control.stopping;
  }

  /** Watch the store, listen on the admin port, start every VIM's listener. Nothing once stop() began. */
  async start(): Promise<void> {
    if (this.stopping) return;
    const store = this.store;
    // Another replica changed the shared store: its VIMs apply here too (subscriptions are read live).
    // Watched before startAll(): a change heard meanwhile starts a VIM that startAll() then leaves alone.
    this.unwatchStore = store.onChange((kinds) => {
      if (this.stopping) return;
      if (kinds.includes('vims')) void this.catalogue.reconcile();
      // A VES configuration posted on another replica re-judges an already unreachable VIM here too.
      if (kinds.includes('vesAgents'))
        for (const vimId of Object.keys(store.get().vesAgents)) this.ves.vimWatch.configured(vimId);
    });
    this.admin = this.opts.adminPort(this.control);
    this.adminUrl = (await this.admin.listen()).url;
    this.log.info('admin port listening', { url: this.adminUrl });
    if (this.stopping) return;
    await this.catalogue.startAll();
    this.backlog.start();
    this.control.markStarted();
  }

  /**
   * SIGTERM: readiness 503 at once (the admin port keeps answering until the very end), stop
   * taking, finish in flight within shutdown.timeoutMs, requeue the rest, close the brokers
   * (bounded by CLOSE_GRACE_MS), then close the admin port.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.control.beginStopping();
    await this.backlog.stop();
    const deadline = Date.now() + this.cfg.shutdown.timeoutMs;
    const awaiting = Object.fromEntries(this.destinations.map((d) => [d.name, d.pending()]));
    this.log.info('shutting down: no new notifications taken; finishing those in flight', {
      timeoutMs: this.cfg.shutdown.timeoutMs,
      awaiting,
    });
    const left = await this.catalogue.drainAll(deadline);
    // Whatever is still waiting for a destination is rejected (PUBLISHER_CLOSED) and requeued by the pipeline.
    const left_ms = (): number => Math.max(0, deadline - Date.now());
    await Promise.all(
      this.destinations.map((d) => (d === this.ves.destination ? this.ves.close(left_ms()) : d.close(left_ms()))),
    );
    if (left > 0)
      this.log.warn(
        'shutdown deadline reached; unsettled notifications were requeued and will be redelivered (duplicates possible)',
        { requeued: left },
      );
    if (!(await settlesWithin(this.catalogue.closeAll(), CLOSE_GRACE_MS))) {
      this.log.warn(
        'a broker connection did not close in time; exiting anyway: the broker redelivers what was not acked (duplicates possible)',
        { graceMs: CLOSE_GRACE_MS },
      );
    }
    this.unwatchStore?.();
    await this.store
      .close()
      .catch((e: unknown) => this.log.warn('store did not close cleanly', { error: (e as Error).message }));
    await this.admin?.close();
    this.log.info('stopped', { requeued: left });
  }
}
