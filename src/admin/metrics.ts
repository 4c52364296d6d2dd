/**
 * The relay's Prometheus metrics. The daemon updates them; GET /metrics renders the registry.
 * Names and labels are part of the operator's contract (dashboards, alerts): the README lists
 * them and a test checks the list against this file.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'vim_event_relay_';

/** Outcome classes of a DMaaP request: the status family, or `error` when there was no answer. */
export type DmaapRequestClass = '2xx' | '4xx' | '5xx' | 'error';

export interface RelayMetrics {
  readonly registry: Registry;
  /** Notifications received from a VIM's broker. */
  readonly notificationsConsumed: Counter<'vim'>;
  /** Notifications that matched no subscription (acked, not published). */
  readonly notificationsFiltered: Counter<'vim'>;
  /** Messages accepted by DMaaP. */
  readonly notificationsPublished: Counter<'vim' | 'topic'>;
  /** Notifications sent to the VIM's dead-letter queue, by error code. */
  readonly notificationsDeadLettered: Counter<'vim' | 'code'>;
  readonly publishRetries: Counter<'topic'>;
  /** Redeliveries recognised by oslo message_id and not published again. */
  readonly duplicatesSuppressed: Counter<'vim'>;
  readonly vimStatusChanges: Counter<'vim' | 'status'>;
  readonly dmaapRequests: Counter<'topic' | 'class'>;
  /** From consuming a notification to DMaaP accepting its message. */
  readonly publishLatency: Histogram<'topic'>;
  /** Notifications consumed and not yet settled. */
  readonly inFlight: Gauge<'vim'>;
  /** 1 while the VIM's listener is connected, else 0. */
  readonly vimConnected: Gauge<'vim'>;
}

// Publishing normally takes milliseconds; the upper buckets show time spent in retry/backoff.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Builds every relay metric, plus prom-client's default process metrics, in `registry` (a new one by default). */
export function createRelayMetrics(registry: Registry = new Registry()): RelayMetrics {
  // Unprefixed (process_*, nodejs_*), so the usual Node.js dashboards work as they are.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    new Counter({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge({ name: `${METRIC_PREFIX}${name}`, help, labelNames, registers });
  return {
    registry,
    notificationsConsumed: counter('notifications_consumed_total', 'Notifications received from a VIM broker.', ['vim']),
    notificationsFiltered: counter('notifications_filtered_total', 'Notifications that matched no subscription (acked, not published).', ['vim']),
    notificationsPublished: counter('notifications_published_total', 'Messages accepted by DMaaP.', ['vim', 'topic']),
    notificationsDeadLettered: counter('notifications_dead_lettered_total', "Notifications sent to the VIM's dead-letter queue, by error code.", ['vim', 'code']),
    publishRetries: counter('publish_retries_total', 'DMaaP publish attempts retried after a retryable failure.', ['topic']),
    duplicatesSuppressed: counter('duplicates_suppressed_total', 'Redelivered notifications recognised by message_id and not published again.', ['vim']),
    vimStatusChanges: counter('vim_status_changes_total', "Changes of a VIM listener's status, by the new status.", ['vim', 'status']),
    dmaapRequests: counter('dmaap_requests_total', 'DMaaP requests by outcome class (2xx, 4xx, 5xx, error = no answer).', ['topic', 'class']),
    publishLatency: new Histogram({
      name: `${METRIC_PREFIX}publish_latency_seconds`,
      help: 'Seconds from consuming a notification to DMaaP accepting its message.',
      labelNames: ['topic'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: gauge('in_flight', 'Notifications consumed and not yet settled (acked, requeued or dead-lettered).', ['vim']),
    vimConnected: gauge('vim_connected', "1 while the VIM's listener is connected to its broker, else 0.", ['vim']),
  };
}
