/**
 * Turns what the pipeline, the destinations and the listeners report into the Prometheus
 * metrics of src/daemon/metrics.ts. Destination hooks run on their hot path and must never throw.
 */
import type { Registry } from 'prom-client';
import { createRelayMetrics, type DmaapRequestClass, type RelayMetrics } from './metrics.js';
import { ERRORS, type ErrorCode } from '../errors.js';
import type { Destination, DestinationHooks, DestinationName, RequestEvent } from '../publish/destination.js';
import type { ListenerStatus } from '../transport/types.js';
import type { PipelineObserver } from './pipeline.js';

const STATUSES: readonly ListenerStatus[] = ['PENDING', 'REACHABLE', 'UNREACHABLE'];
const DEAD_LETTER_CODES = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].disposition === 'dead-letter');
const CLASSES: readonly DmaapRequestClass[] = ['2xx', '4xx', '5xx', 'error'];

/** HTTP destinations by status family; Kafka (whose codes are not HTTP) by outcome. */
function requestClass(e: RequestEvent): DmaapRequestClass {
  if (e.destination === 'kafka') {
    if (e.outcome === 'success') return '2xx';
    if (e.status === undefined) return 'error';
    return e.outcome === 'permanent' ? '4xx' : '5xx';
  }
  if (e.status === undefined) return 'error';
  if (e.status >= 200 && e.status < 300) return '2xx';
  return e.status >= 500 ? '5xx' : '4xx';
}

/** A metric must never fail a publish. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // see above
  }
}

/**
 * One VIM's per-notification counts since the series were last read. The pipeline reports every
 * notification several times (consumed, in flight and out, filtered or published); a
 * prom-client inc() hashes its labels each time, a few percent of the relay's CPU under a
 * drain. Plain numbers here, added to the series whenever they are read (MetricsObserver.flush).
 */
class VimTally {
  consumed = 0;
  /** state label -> notifications filtered. */
  readonly filtered = new Map<string, number>();
  duplicates = 0;
  inFlight = 0;
  /** Date.now() of the last notification consumed; 0 = none since the relay began listening. */
  lastConsumedMs = 0;
  /** destination -> topic -> messages accepted. */
  readonly published = new Map<DestinationName, Map<string, number>>();
}

export class MetricsObserver implements PipelineObserver {
  readonly m: RelayMetrics = createRelayMetrics();
  private destinations: readonly Destination[] = [];
  private unsavedAlarms: () => number = () => 0;
  private readonly tallies = new Map<string, VimTally>();

  constructor() {
    this.m.onRead(() => this.flush());
  }

  get registry(): Registry {
    return this.m.registry;
  }

  private tally(vim: string): VimTally {
    let t = this.tallies.get(vim);
    if (!t) this.tallies.set(vim, (t = new VimTally()));
    return t;
  }

  consumed(vim: string): void {
    const t = this.tally(vim);
    t.consumed++;
    t.lastConsumedMs = Date.now();
  }

  /** When the VIM's last notification was consumed, ISO 8601; null when none since the relay began listening. */
  lastConsumedAt(vim: string): string | null {
    const ms = this.tallies.get(vim)?.lastConsumedMs ?? 0;
    return ms ? new Date(ms).toISOString() : null;
  }
  filtered(vim: string, state: string): void {
    const byState = this.tally(vim).filtered;
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  published(vim: string, destination: DestinationName, topic: string, seconds: number): void {
    const byTopic = this.tally(vim).published;
    let topics = byTopic.get(destination);
    if (!topics) byTopic.set(destination, (topics = new Map<string, number>()));
    topics.set(topic, (topics.get(topic) ?? 0) + 1);
    this.m.publishLatency.observe({ destination, topic }, seconds);
  }
  deadLettered(vim: string, code: string): void {
    this.m.notificationsDeadLettered.inc({ vim, code });
  }
  duplicate(vim: string): void {
    this.tally(vim).duplicates++;
  }
  inFlight(vim: string, delta: 1 | -1): void {
    this.tally(vim).inFlight += delta;
  }

  /** Adds the tallies to their series and zeroes them; runs before any of those series is read. */
  private flush(): void {
    const m = this.m;
    for (const [vim, t] of this.tallies) {
      if (t.consumed) m.notificationsConsumed.inc({ vim }, t.consumed);
      for (const [state, n] of t.filtered) m.notificationsFiltered.inc({ vim, state }, n);
      t.filtered.clear();
      if (t.duplicates) m.duplicatesSuppressed.inc({ vim }, t.duplicates);
      // Consumed since the last flush: lastConsumedMs moved.
      if (t.consumed) m.lastConsumed.set({ vim }, t.lastConsumedMs / 1000);
      if (t.inFlight) m.inFlight.inc({ vim }, t.inFlight);
      t.consumed = t.duplicates = t.inFlight = 0;
      for (const [destination, topics] of t.published)
        for (const [topic, n] of topics) m.notificationsPublished.inc({ vim, destination, topic }, n);
      t.published.clear();
    }
  }

  vimStatus(vim: string, status: ListenerStatus): void {
    this.m.vimStatusChanges.inc({ vim, status });
    this.m.vimConnected.set({ vim }, status === 'REACHABLE' ? 1 : 0);
  }

  /**
   * A VIM's labelled series start at zero, so that rate() and increase() alerts see its first
   * dead letter, its first status change and its first notification.
   */
  knowVim(vim: string): void {
    // The filtered series appear per state, with the first notification of that state.
    for (const c of [this.m.notificationsConsumed, this.m.duplicatesSuppressed]) c.inc({ vim }, 0);
    for (const code of DEAD_LETTER_CODES) this.m.notificationsDeadLettered.inc({ vim, code }, 0);
    for (const status of STATUSES) this.m.vimStatusChanges.inc({ vim, status }, 0);
    this.m.inFlight.inc({ vim }, 0);
    // Silence is measured from when the relay began listening (an alert on a VIM that never spoke).
    if (!this.tallies.get(vim)?.lastConsumedMs) this.m.lastConsumed.set({ vim }, Date.now() / 1000);
  }

  /** A subscription's series start at zero too (topic and destination are known once it exists). */
  knowRoute(vim: string, destination: DestinationName, topic: string): void {
    this.m.notificationsPublished.inc({ vim, destination, topic }, 0);
    this.m.publishRetries.inc({ destination, topic }, 0);
    for (const cls of CLASSES) {
      this.m.destinationRequests.inc({ destination, topic, class: cls }, 0);
      if (destination === 'dmaap') this.m.dmaapRequests.inc({ topic, class: cls }, 0);
    }
  }

  /** A deleted VIM's series go, so dashboards do not show a ghost. */
  forgetVim(vim: string): void {
    this.flush();
    this.tallies.delete(vim);
    for (const g of [this.m.inFlight, this.m.vimConnected, this.m.lastConsumed]) g.remove({ vim });
  }

  /** The destinations whose reachability and backlog the gauges show, read at scrape time. */
  watchDestinations(destinations: readonly Destination[]): void {
    this.destinations = destinations;
    this.m.onScrape(() => this.readDestinations());
    this.readDestinations();
  }

  /** How many accepted VES alarm changes the store has not taken yet, read at scrape time. */
  watchUnsavedAlarms(count: () => number): void {
    this.unsavedAlarms = count;
  }

  private readDestinations(): void {
    for (const d of this.destinations) {
      this.m.destinationUp.set({ destination: d.name }, d.health().ok ? 1 : 0);
      this.m.destinationPending.set({ destination: d.name }, d.pending());
    }
    this.m.vesAlarmsUnsaved.set(this.unsavedAlarms());
  }

  hooks(): DestinationHooks {
    return {
      onRequest: (e) =>
        safely(() => {
          const cls = requestClass(e);
          this.m.destinationRequests.inc({ destination: e.destination, topic: e.topic, class: cls });
          if (e.destination === 'dmaap') this.m.dmaapRequests.inc({ topic: e.topic, class: cls });
        }),
      onRetry: (e) => safely(() => this.m.publishRetries.inc({ destination: e.destination, topic: e.topic }, e.count)),
    };
  }
}
