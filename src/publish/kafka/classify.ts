/**
 * What a Kafka failure means for the batch that met it (pure, no I/O). Kafka's own error table
 * marks each protocol error retriable or not; ours follows it, with the cases that matter to a
 * relay spelled out so a client upgrade cannot quietly move them: leader moves, missing replicas,
 * timeouts and unreachable brokers are retried; authorization, size and record-format refusals
 * are permanent for that batch (the same bytes would be refused again).
 *
 * Authentication is the exception: a wrong SASL password is not the record's fault, so it is
 * retried (and the destination reports itself unhealthy) rather than dead-lettering every record.
 */

export type KafkaOutcome =
  | { readonly kind: 'retry'; readonly reason: string; readonly code?: number }
  | { readonly kind: 'permanent'; readonly reason: string; readonly code?: number };

/** Kafka protocol errors by name (kafkajs' `type`), where the relay decides explicitly. */
export const KAFKA_ERROR_KINDS: Readonly<Record<string, 'retry' | 'permanent'>> = {
  // leadership and metadata: the client refreshes metadata and tries again
  UNKNOWN_TOPIC_OR_PARTITION: 'retry', // also: a KafkaTopic not yet created by the topic operator
  LEADER_NOT_AVAILABLE: 'retry',
  NOT_LEADER_FOR_PARTITION: 'retry',
  BROKER_NOT_AVAILABLE: 'retry',
  REPLICA_NOT_AVAILABLE: 'retry',
  FENCED_LEADER_EPOCH: 'retry',
  UNKNOWN_LEADER_EPOCH: 'retry',
  PREFERRED_LEADER_NOT_AVAILABLE: 'retry',
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 'retry',
  // min.insync.replicas not met (ONAP: replicas - 1): wait for the ISR to come back
  NOT_ENOUGH_REPLICAS: 'retry',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'retry',
  REQUEST_TIMED_OUT: 'retry',
  NETWORK_EXCEPTION: 'retry',
  KAFKA_STORAGE_ERROR: 'retry',
  CORRUPT_MESSAGE: 'retry', // a CRC broken in transit; Kafka marks it retriable
  SASL_AUTHENTICATION_FAILED: 'retry',
  ILLEGAL_SASL_STATE: 'retry',
  UNSUPPORTED_SASL_MECHANISM: 'retry',
  // refusals of this batch
  TOPIC_AUTHORIZATION_FAILED: 'permanent',
  CLUSTER_AUTHORIZATION_FAILED: 'permanent',
  MESSAGE_TOO_LARGE: 'permanent',
  RECORD_LIST_TOO_LARGE: 'permanent',
  INVALID_RECORD: 'permanent',
  INVALID_TOPIC_EXCEPTION: 'permanent',
  INVALID_TIMESTAMP: 'permanent',
  INVALID_REQUIRED_ACKS: 'permanent',
  INVALID_REQUEST: 'permanent',
  POLICY_VIOLATION: 'permanent',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'permanent',
  UNSUPPORTED_COMPRESSION_TYPE: 'permanent',
  UNSUPPORTED_VERSION: 'permanent',
};

/** kafkajs errors that are not protocol answers: no broker, no answer, no metadata yet. */
const TRANSIENT_CLIENT_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly retriable?: unknown;
  readonly originalError?: unknown;
  readonly cause?: unknown;
  readonly apiName?: unknown;
}

const SASL_APIS = new Set(['SaslHandshake', 'SaslAuthenticate']);

/** kafkajs' retrier wraps the real error in these once its retries (none here) are spent. */
const WRAPPERS = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError']);

/** The error that says what happened, under kafkajs' wrappers. */
function unwrap(err: unknown): ErrorLike {
  let e = (err ?? {}) as ErrorLike;
  for (let i = 0; i < 5 && WRAPPERS.has(String(e.name)); i++) {
    const inner = (e.originalError ?? e.cause) as ErrorLike | undefined;
    if (!inner || typeof inner !== 'object' || inner === e) break;
    e = inner;
  }
  return e;
}

export function classifyKafkaError(err: unknown): KafkaOutcome {
  const e = unwrap(err);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.type === 'string' && typeof e.code === 'number') {
    const reason = `${e.type} (Kafka error ${e.code}): ${message}`;
    const kind = KAFKA_ERROR_KINDS[e.type] ?? (e.retriable === true ? 'retry' : 'permanent');
    return { kind, reason, code: e.code };
  }
  const reason = name === 'Error' ? message : `${name}: ${message}`;
  if (TRANSIENT_CLIENT_ERRORS.has(name)) return { kind: 'retry', reason };
  // The broker does not offer a request the client needs (ApiVersions), before anything is sent.
  // Retried like a refused login: it is the configuration's fault, not the record's.
  if (name === 'KafkaJSServerDoesNotSupportApiKey') {
    const api = typeof e.apiName === 'string' ? e.apiName : 'an API';
    const hint = SASL_APIS.has(api)
      ? ': the broker offers no SASL on this listener; check kafka.brokers (the SASL listener) and kafka.sasl.mechanism'
      : '';
    return { kind: 'retry', reason: `${reason} (${api})${hint}` };
  }
  // The client refused before sending (a record without a value, a bad topic name): a bug or a
  // bad record, and sending it again would meet the same refusal.
  if (name === 'KafkaJSNonRetriableError') return { kind: 'permanent', reason };
  // Anything else thrown instead of an answer (a socket error, TLS) is worth another try.
  return { kind: 'retry', reason };
}

/**
 * Refusals that concern one record rather than the topic: in a batch of several, the destination
 * sends them again one per request so that only the offending record is dead-lettered.
 */
const RECORD_SCOPED = new Set([10, 18, 32, 87]); // MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_TIMESTAMP, INVALID_RECORD

export function isRecordScoped(outcome: KafkaOutcome): boolean {
  return outcome.kind === 'permanent' && outcome.code !== undefined && RECORD_SCOPED.has(outcome.code);
}

/** Who logs in, as the options name them (kafka.sasl). */
export interface LoginOf {
  readonly mechanism: string;
  readonly username: string;
  readonly brokers: readonly string[];
}

const LOGIN_CHECK = "check kafka.sasl.jaasConfig (or kafka.sasl.username / password) against the KafkaUser's Secret";

/**
 * A failed connect that is a refused SASL login, said so that an operator can act on it: which
 * mechanism, which user, which brokers (kafka.brokers) and which keys to check; undefined when
 * the failure is something else. The password is never part of it. The error keeps the name of
 * the one it explains (under kafkajs' retrier wrappers, which name it otherwise only when
 * retries run out), so it is classified (retried) as before.
 */
export function explainLogin(e: unknown, login: LoginOf): Error | undefined {
  const err = unwrap(e);
  if (typeof err.name !== 'string') return undefined;
  const who = `SASL ${login.mechanism.toUpperCase()} login as "${login.username}"`;
  const brokers = login.brokers.join(', ');
  let said: string | undefined;
  if (err.name === 'KafkaJSSASLAuthenticationError')
    said = `${who} refused by ${brokers} (${String(err.message)}); ${LOGIN_CHECK}`;
  // Kafka may close the connection instead of answering a refused login (an unknown user, on
  // some releases): without this the reason would say only "Closed connection".
  else if (err.name === 'KafkaJSConnectionClosedError')
    said = `${who} to ${brokers}: the broker closed the connection while connecting (${String(err.message)}); a broker does so after refusing a login, or the network cut it: ${LOGIN_CHECK}, and that the brokers answer`;
  if (!said) return undefined;
  const explained = new Error(said, { cause: e });
  explained.name = err.name;
  return explained;
}
