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
  /** Notifications that matched no subscription (acked, not published), by the state their event type classifies as. */
  readonly notificationsFiltered: Counter<'vim' | 'state'>;
  /** Messages accepted by a destination. */
  readonly notificationsPublished: Counter<'vim' | 'destination' | 'topic'>;
  /** Notifications sent to the VIM's dead-letter queue, by error code. */
  readonly notificationsDeadLettered: Counter<'vim' | 'code'>;
  readonly publishRetries: Counter<'destination' | 'topic'>;
  /** Redeliveries recognised by oslo message_id and not published again. */
  readonly duplicatesSuppressed: Counter<'vim'>;
  readonly vimStatusChanges: Counter<'vim' | 'status'>;
  /** Kept for existing dashboards: destinationRequests with destination="dmaap". */
  readonly dmaapRequests: Counter<'topic' | 'class'>;
  readonly destinationRequests: Counter<'destination' | 'topic' | 'class'>;
  /** 1 while the destination is reachable (no streak of retryable failures), else 0. */
  readonly destinationUp: Gauge<'destination'>;
  /** Messages handed to a destination and not yet accepted or refused. */
  readonly destinationPending: Gauge<'destination'>;
  /** From consuming a notification to a destination accepting its message. */
  readonly publishLatency: Histogram<'destination' | 'topic'>;
  /** Notifications consumed and not yet settled. */
  readonly inFlight: Gauge<'vim'>;
  /** 1 while the VIM's listener is connected, else 0. */
  readonly vimConnected: Gauge<'vim'>;
  /** Admin requests refused for want of credentials, by reason (src/admin/access.ts). */
  readonly adminAuthFailures: Counter<'reason'>;
  /** VES alarm changes a collector accepted that the store has not taken yet. */
  readonly vesAlarmsUnsaved: Gauge;
  /** When the VIM's last notification was consumed (Unix seconds); until its first, when the relay began listening to it. */
  readonly lastConsumed: Gauge<'vim'>;
  /** The VIM's queue on its broker, by passive declare every monitor.backlogIntervalMs. */
  readonly queueMessages: Gauge<'vim'>;
  readonly queueConsumers: Gauge<'vim'>;
  /** Messages waiting in the VIM's dead-letter queue (the same poll). */
  readonly deadLetterMessages: Gauge<'vim'>;
  /** Runs `fn` whenever the registry is scraped, before the gauges are read (state kept elsewhere). */
  onScrape(fn: () => void): void;
  /**
   * Runs `fn` before any of the per-notification series (consumed, filtered, published,
   * duplicates, in flight) is read, by a scrape or by get(): counts kept as plain numbers on the
   * hot path are added then.
   */
  onRead(fn: () => void): void;
}

export const ADMIN_AUTH_FAILURES = `${METRIC_PREFIX}admin_auth_failures_total`;

/**
 * The admin port's refusals counter in `registry`, created on first use: the admin server
 * only holds the registry, and a registry refuses a second metric of the same name.
 */
export function adminAuthFailuresCounter(registry: Registry): Counter<'reason'> {
  const existing = registry.getSingleMetric(ADMIN_AUTH_FAILURES);
  if (existing) return existing as Counter<'reason'>;
  return new Counter({
    name: ADMIN_AUTH_FAILURES,
    help: 'Admin API requests refused for want of credentials, by reason: missing (no bearer token), wrong (no such token), forbidden (the read token asking to change), client_certificate (none or not signed by admin.tls.clientCaFile).',
    labelNames: ['reason'],
    registers: [registry],
  });
}

// Publishing normally takes milliseconds; the upper buckets show time spent in retry/backoff.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Builds every relay metric, plus prom-client's default process metrics, in `registry` (a new one by default). */
export function createRelayMetrics(registry: Registry = new Registry()): RelayMetrics {
  // Unprefixed (process_*, nodejs_*), so the usual Node.js dashboards work as they are.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let scrape = (): void => {};
  let read = (): void => {};
  const beforeRead = (): void => read();
  /** A counter's or a gauge's configuration: prefixed, in `registry`, with `collect` run before each read. */
  const config = <L extends string>(name: string, help: string, labelNames: readonly L[], collect?: () => void) => ({
    name: `${METRIC_PREFIX}${name}`,
    help,
    labelNames,
    registers,
    ...(collect ? { collect } : {}),
  });
  const counter = <L extends string>(...args: Parameters<typeof config<L>>): Counter<L> => new Counter(config(...args));
  const gauge = <L extends string>(...args: Parameters<typeof config<L>>): Gauge<L> => new Gauge(config(...args));
  return {
    registry,
    notificationsConsumed: counter(
      'notifications_consumed_total',
      'Notifications received from a VIM broker.',
      ['vim'],
      beforeRead,
    ),
    notificationsFiltered: counter(
      'notifications_filtered_total',
      'Notifications that matched no subscription (acked, not published), by the state of their event type (ERROR for a failure, NONE when none).',
      ['vim', 'state'],
      beforeRead,
    ),
    notificationsPublished: counter(
      'notifications_published_total',
      'Messages accepted by a destination (dmaap, kafka, ves).',
      ['vim', 'destination', 'topic'],
      beforeRead,
    ),
    notificationsDeadLettered: counter(
      'notifications_dead_lettered_total',
      "Notifications sent to the VIM's dead-letter queue, by error code.",
      ['vim', 'code'],
    ),
    publishRetries: counter('publish_retries_total', 'Messages sent again after a retryable failure, by destination.', [
      'destination',
      'topic',
    ]),
    duplicatesSuppressed: counter(
      'duplicates_suppressed_total',
      'Redelivered notifications recognised by message_id and not published again.',
      ['vim'],
      beforeRead,
    ),
    vimStatusChanges: counter('vim_status_changes_total', "Changes of a VIM listener's status, by the new status.", [
      'vim',
      'status',
    ]),
    dmaapRequests: counter(
      'dmaap_requests_total',
      'DMaaP requests by outcome class (2xx, 4xx, 5xx, error = no answer); the same as destination_requests_total{destination="dmaap"}.',
      ['topic', 'class'],
    ),
    destinationRequests: counter(
      'destination_requests_total',
      'Requests to a destination by outcome class (2xx, 4xx, 5xx, error = no answer; Kafka: 2xx accepted, 4xx refused, 5xx retriable).',
      ['destination', 'topic', 'class'],
    ),
    destinationUp: gauge(
      'destination_up',
      '1 while the destination is reachable (no streak of retryable failures), else 0.',
      ['destination'],
      () => scrape(),
    ),
    destinationPending: gauge(
      'destination_pending',
      'Messages handed to a destination and not yet accepted or refused.',
      ['destination'],
    ),
    publishLatency: new Histogram({
      name: `${METRIC_PREFIX}publish_latency_seconds`,
      help: 'Seconds from consuming a notification to a destination accepting its message.',
      labelNames: ['destination', 'topic'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: gauge(
      'in_flight',
      'Notifications consumed and not yet settled (acked, requeued or dead-lettered).',
      ['vim'],
      beforeRead,
    ),
    adminAuthFailures: adminAuthFailuresCounter(registry),
    vimConnected: gauge('vim_connected', "1 while the VIM's listener is connected to its broker, else 0.", ['vim']),
    vesAlarmsUnsaved: gauge(
      'ves_alarms_unsaved',
      'VES alarm changes (onsets, clears) a collector accepted that the store has not taken yet (PostgreSQL away): kept in memory, written when it takes them.',
      [],
      () => scrape(),
    ),
    lastConsumed: gauge(
      'last_consumed_timestamp_seconds',
      "When the VIM's last notification was consumed (Unix time); before its first, when the relay began listening to it.",
      ['vim'],
      beforeRead,
    ),
    queueMessages: gauge(
      'queue_messages',
      "Messages in the VIM's queue on its broker (ready and unacked), read every monitor.backlogIntervalMs.",
      ['vim'],
    ),
    queueConsumers: gauge('queue_consumers', "Consumers of the VIM's queue on its broker (the same reading).", ['vim']),
    deadLetterMessages: gauge(
      'dead_letter_messages',
      "Messages waiting in the VIM's dead-letter queue on its broker (the same reading).",
      ['vim'],
    ),
    onScrape: (fn) => {
      scrape = fn;
    },
    onRead: (fn) => {
      read = fn;
    },
  };
}
