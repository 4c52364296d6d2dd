/**
 * The configuration schema: every key with its doc, default, env var and sensitivity, in one
 * place (as nodejs-pubsub's default-options.ts). README's configuration table is checked
 * against this by test/unit/config/docs-sync.test.ts.
 */
import convict from 'convict';
import { validateSubscriptionItems, validateVimItems } from './items.js';
import { PUBLISHER_DEFAULTS } from '../publish/dmaap/options.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../transport/options.js';
import { brokerProblems, KAFKA_DEFAULTS, SASL_MECHANISMS } from '../publish/kafka/options.js';
import { VES_DEFAULTS } from '../publish/ves/options.js';

convict.addFormat({
  name: 'vim-list',
  validate: (v: unknown) => validateVimItems(v),
  coerce: (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v),
});
convict.addFormat({
  name: 'subscription-list',
  validate: (v: unknown) => validateSubscriptionItems(v),
  coerce: (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v),
});

convict.addFormat({
  name: 'kafka-brokers',
  validate: (v: unknown) => {
    if (!Array.isArray(v) || !v.every((b) => typeof b === 'string')) throw new Error('must be a list of host:port (env: comma-separated)');
    // Empty: Kafka is off (a subscription naming sink "kafka" is then refused).
    if (v.length === 0) return;
    const problems = brokerProblems(v);
    if (problems.length) throw new Error(problems.map((p) => p.replace(/^kafka\.brokers: /, '')).join('; '));
  },
  coerce: (v: unknown) => (typeof v === 'string' ? v.split(',').map((b) => b.trim()).filter(Boolean) : v),
});

const positiveInt = (min: number) => (v: unknown) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`must be an integer >= ${min}`);
};

const httpUrl = (v: unknown) => {
  let u: URL;
  try {
    u = new URL(String(v));
  } catch {
    throw new Error('must be an http:// or https:// URL, e.g. http://127.0.0.1:3904');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
};

// The message never repeats the value: it holds a password.
const postgresUrl = (v: unknown) => {
  if (v === '') return;
  let u: URL;
  try {
    u = new URL(String(v));
  } catch {
    throw new Error('must be a postgres:// URL, e.g. postgres://relay:secret@127.0.0.1:5432/relay, or empty for the file store');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error('must be a postgres:// or postgresql:// URL, or empty for the file store');
  if (u.pathname.length < 2) throw new Error('must name the database, e.g. postgres://relay:secret@127.0.0.1:5432/relay');
};

/**
 * Config-file keys whose schema key differs (convict reads a node with a "default" member as a
 * leaf, so the file's "sinks.default" is the schema's "sinks.defaultSink"). Messages, the README
 * and check-config show the file's name.
 */
/** The admin port's request body limit when admin.bodyLimitBytes is not given. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export const KEY_ALIASES: Readonly<Record<string, string>> = { 'sinks.default': 'sinks.defaultSink' };

export const configSchema = {
  admin: {
    host: { doc: 'Address the admin HTTP port binds to.', format: String, default: '127.0.0.1', env: 'VIM_EVENT_RELAY_ADMIN_HOST' },
    port: { doc: 'Admin HTTP port (0 = pick a free one, logged at start).', format: 'port', default: 8080, env: 'VIM_EVENT_RELAY_ADMIN_PORT' },
    authToken: { doc: 'The admin token: when set, /api/* needs "Authorization: Bearer <token>", and this token may do everything. From a file (_FILE), it is re-read when the file changes.', format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN', sensitive: true },
    readToken: { doc: 'The read token: reads only (GETs, check_vim_status, /metrics when protected); a change asked with it is refused 403. Needs admin.authToken. From a file (_FILE), re-read when the file changes.', format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_READ_TOKEN', sensitive: true },
    metricsRequireToken: { doc: 'GET /metrics needs the read or admin token (Prometheus: bearer_token_file); false = open.', format: Boolean, default: false, env: 'VIM_EVENT_RELAY_ADMIN_METRICS_REQUIRE_TOKEN' },
    tls: {
      certFile: { doc: "PEM certificate (chain) of the admin port: it speaks HTTPS (a kubernetes.io/tls Secret's tls.crt); re-read when it changes. With admin.tls.keyFile.", format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE' },
      keyFile: { doc: "PEM private key of admin.tls.certFile (the Secret's tls.key); re-read when it changes.", format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE' },
      clientCaFile: { doc: 'PEM CA bundle: every request but /healthz and /readyz needs a client certificate it signed (mutual TLS); empty = no client certificates.', format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_TLS_CLIENT_CA_FILE' },
    },
    allowUnauthenticated: { doc: 'Serve /api/* without a token on a non-loopback admin.host (refused unless true).', format: Boolean, default: false, env: 'VIM_EVENT_RELAY_ADMIN_ALLOW_UNAUTHENTICATED' },
    readiness: { doc: 'What GET /readyz judges: process (started, store open, admin port serving) or strict (also every VIM reachable, the store and every destination healthy). ?strict=1 asks for strict on one request.', format: ['process', 'strict'], default: 'process', env: 'VIM_EVENT_RELAY_ADMIN_READINESS' },
    bodyLimitBytes: { doc: 'Largest admin request body accepted (413 beyond).', format: positiveInt(1), default: DEFAULT_BODY_LIMIT_BYTES, env: 'VIM_EVENT_RELAY_ADMIN_BODY_LIMIT_BYTES' },
  },
  dmaap: {
    url: { doc: 'DMaaP Message Router base URL (http://host:3904 or https://host:3905).', format: httpUrl, default: 'http://127.0.0.1:3904', env: 'VIM_EVENT_RELAY_DMAAP_URL' },
    username: { doc: 'Basic-auth user (AAF identity); empty = no auth.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_USERNAME' },
    password: { doc: 'Basic-auth password.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_PASSWORD', sensitive: true },
    caFile: { doc: 'PEM CA bundle to verify an HTTPS Message Router; empty = system CAs.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_CA_FILE' },
    timeoutMs: { doc: 'Per-request timeout; a request past it is retried.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.timeoutMs, env: 'VIM_EVENT_RELAY_DMAAP_TIMEOUT_MS' },
  },
  sinks: {
    // Written "sinks.default" in a config file (keyAliases below): convict cannot have a key named "default".
    defaultSink: { doc: 'Where a subscription that names no sink publishes: dmaap (Message Router) or kafka.', format: ['dmaap', 'kafka'], default: 'dmaap', env: 'VIM_EVENT_RELAY_SINKS_DEFAULT' },
  },
  publish: {
    batchMaxMessages: { doc: 'Most messages in one POST to a topic.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.batchMaxMessages, env: 'VIM_EVENT_RELAY_PUBLISH_BATCH_MAX_MESSAGES' },
    batchMaxBytes: { doc: 'Most bytes in one POST (a larger single message goes alone).', format: positiveInt(1024), default: PUBLISHER_DEFAULTS.batchMaxBytes, env: 'VIM_EVENT_RELAY_PUBLISH_BATCH_MAX_BYTES' },
    lingerMs: { doc: 'How long a batch waits to fill before it is sent.', format: positiveInt(0), default: PUBLISHER_DEFAULTS.lingerMs, env: 'VIM_EVENT_RELAY_PUBLISH_LINGER_MS' },
    maxInFlightRequests: { doc: 'Most DMaaP requests in flight at once (all topics).', format: positiveInt(1), default: PUBLISHER_DEFAULTS.maxInFlightRequests, env: 'VIM_EVENT_RELAY_PUBLISH_MAX_IN_FLIGHT_REQUESTS' },
    retryInitialMs: { doc: 'First retry delay; doubles per failure (full jitter).', format: positiveInt(1), default: PUBLISHER_DEFAULTS.retryInitialMs, env: 'VIM_EVENT_RELAY_PUBLISH_RETRY_INITIAL_MS' },
    retryMaxMs: { doc: 'Cap of the retry delay.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.retryMaxMs, env: 'VIM_EVENT_RELAY_PUBLISH_RETRY_MAX_MS' },
    maxRetryMs: { doc: 'Dead-letter a message that has kept failing this long (DMAAP_RETRY_EXPIRED); 0 = retry forever.', format: positiveInt(0), default: PUBLISHER_DEFAULTS.maxRetryMs, env: 'VIM_EVENT_RELAY_PUBLISH_MAX_RETRY_MS' },
    maxPending: { doc: 'Sanity cap on messages DMaaP holds unsettled (the real bound is transport.prefetch per VIM); over it a message waits (PUBLISHER_OVERLOADED), its delivery unacked, and is offered again after a short backoff.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.maxPending, env: 'VIM_EVENT_RELAY_PUBLISH_MAX_PENDING' },
  },
  kafka: {
    brokers: { doc: 'Kafka bootstrap brokers, host:port (ONAP: onap-strimzi-kafka-bootstrap:9092 for SCRAM, :9093 for mutual TLS); env comma-separated; empty = no Kafka sink.', format: 'kafka-brokers', default: [] as string[], env: 'VIM_EVENT_RELAY_KAFKA_BROKERS' },
    clientId: { doc: 'Kafka client.id (shows in broker logs and quotas).', format: String, default: KAFKA_DEFAULTS.clientId, env: 'VIM_EVENT_RELAY_KAFKA_CLIENT_ID' },
    sasl: {
      mechanism: { doc: 'SASL mechanism: plain, scram-sha-256, scram-sha-512 (Strimzi KafkaUser scram-sha-512); empty = no SASL.', format: SASL_MECHANISMS as unknown as string[], default: '', env: 'VIM_EVENT_RELAY_KAFKA_SASL_MECHANISM' },
      username: { doc: 'SASL user (or give kafka.sasl.jaasConfig).', format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SASL_USERNAME' },
      password: { doc: 'SASL password.', format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SASL_PASSWORD', sensitive: true },
      jaasConfig: { doc: "A KafkaUser Secret's sasl.jaas.config value as it is (ONAP's JAAS_CONFIG); user and password are read from it.", format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG', sensitive: true },
    },
    ssl: {
      enabled: { doc: 'TLS to the brokers.', format: Boolean, default: false, env: 'VIM_EVENT_RELAY_KAFKA_SSL_ENABLED' },
      caFile: { doc: "PEM CA bundle to verify the brokers (Strimzi: the cluster CA Secret's ca.crt); empty = system CAs.", format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SSL_CA_FILE' },
      certFile: { doc: "PEM client certificate for mutual TLS (a tls KafkaUser Secret's user.crt); with kafka.ssl.keyFile.", format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SSL_CERT_FILE' },
      keyFile: { doc: "PEM client key for mutual TLS (the Secret's user.key).", format: String, default: '', env: 'VIM_EVENT_RELAY_KAFKA_SSL_KEY_FILE' },
    },
    batchMaxMessages: { doc: 'Most records in one produce request to one partition.', format: positiveInt(1), default: KAFKA_DEFAULTS.batchMaxMessages, env: 'VIM_EVENT_RELAY_KAFKA_BATCH_MAX_MESSAGES' },
    batchMaxBytes: { doc: "Most record bytes in one produce request (a larger record goes alone); keep it under the topic's max.message.bytes.", format: positiveInt(1024), default: KAFKA_DEFAULTS.batchMaxBytes, env: 'VIM_EVENT_RELAY_KAFKA_BATCH_MAX_BYTES' },
    lingerMs: { doc: "How long a partition's batch waits to fill before it is sent.", format: positiveInt(0), default: KAFKA_DEFAULTS.lingerMs, env: 'VIM_EVENT_RELAY_KAFKA_LINGER_MS' },
    maxInFlightRequests: { doc: 'Most produce requests in flight at once over all partitions (each partition has at most one: order per key).', format: positiveInt(1), default: KAFKA_DEFAULTS.maxInFlightRequests, env: 'VIM_EVENT_RELAY_KAFKA_MAX_IN_FLIGHT_REQUESTS' },
    requestTimeoutMs: { doc: 'Deadline of one request, and how long the broker waits for all in-sync replicas (acks=all); past it the batch is retried.', format: positiveInt(1), default: KAFKA_DEFAULTS.requestTimeoutMs, env: 'VIM_EVENT_RELAY_KAFKA_REQUEST_TIMEOUT_MS' },
    connectionTimeoutMs: { doc: 'Deadline to connect to a broker (TCP, TLS, SASL).', format: positiveInt(1), default: KAFKA_DEFAULTS.connectionTimeoutMs, env: 'VIM_EVENT_RELAY_KAFKA_CONNECTION_TIMEOUT_MS' },
    retryInitialMs: { doc: 'First Kafka retry delay; doubles per failure (full jitter).', format: positiveInt(1), default: KAFKA_DEFAULTS.retryInitialMs, env: 'VIM_EVENT_RELAY_KAFKA_RETRY_INITIAL_MS' },
    retryMaxMs: { doc: 'Cap of the Kafka retry delay.', format: positiveInt(1), default: KAFKA_DEFAULTS.retryMaxMs, env: 'VIM_EVENT_RELAY_KAFKA_RETRY_MAX_MS' },
    maxRetryMs: { doc: 'Dead-letter records of a partition that has kept failing this long (KAFKA_RETRY_EXPIRED); 0 = retry forever.', format: positiveInt(0), default: KAFKA_DEFAULTS.maxRetryMs, env: 'VIM_EVENT_RELAY_KAFKA_MAX_RETRY_MS' },
  },
  ves: {
    timeoutMs: { doc: 'Per-request timeout to a VES collector; a request past it is retried.', format: positiveInt(1), default: VES_DEFAULTS.timeoutMs, env: 'VIM_EVENT_RELAY_VES_TIMEOUT_MS' },
    caFile: { doc: 'PEM CA bundle to verify https:// VES collectors; empty = system CAs.', format: String, default: '', env: 'VIM_EVENT_RELAY_VES_CA_FILE' },
    batchMaxMessages: { doc: 'Most events in one POST to <endpoint>/eventBatch (one domain per batch); 1 = one event per POST.', format: positiveInt(1), default: VES_DEFAULTS.batchMaxMessages, env: 'VIM_EVENT_RELAY_VES_BATCH_MAX_MESSAGES' },
    batchMaxBytes: { doc: 'Most bytes in one POST to a collector (a larger single event goes alone).', format: positiveInt(1024), default: VES_DEFAULTS.batchMaxBytes, env: 'VIM_EVENT_RELAY_VES_BATCH_MAX_BYTES' },
    lingerMs: { doc: 'How long a VES batch waits to fill before it is sent.', format: positiveInt(0), default: VES_DEFAULTS.lingerMs, env: 'VIM_EVENT_RELAY_VES_LINGER_MS' },
    maxInFlightRequests: { doc: 'Most requests in flight to all VES collectors at once.', format: positiveInt(1), default: VES_DEFAULTS.maxInFlightRequests, env: 'VIM_EVENT_RELAY_VES_MAX_IN_FLIGHT_REQUESTS' },
    retryInitialMs: { doc: 'First retry delay after a collector failure; doubles per failure (full jitter).', format: positiveInt(1), default: VES_DEFAULTS.retryInitialMs, env: 'VIM_EVENT_RELAY_VES_RETRY_INITIAL_MS' },
    retryMaxMs: { doc: 'Cap of the VES retry delay (and of an honoured Retry-After).', format: positiveInt(1), default: VES_DEFAULTS.retryMaxMs, env: 'VIM_EVENT_RELAY_VES_RETRY_MAX_MS' },
    maxRetryMs: { doc: 'Dead-letter a notification whose VES event kept failing this long (VES_RETRY_EXPIRED); 0 = retry forever.', format: positiveInt(0), default: VES_DEFAULTS.maxRetryMs, env: 'VIM_EVENT_RELAY_VES_MAX_RETRY_MS' },
    vimUnreachableAfterMs: { doc: 'A VIM with a VES agent configuration whose broker stays UNREACHABLE this long raises Fault_MultiCloud_VIMUnreachable.', format: positiveInt(1), default: 60000, env: 'VIM_EVENT_RELAY_VES_VIM_UNREACHABLE_AFTER_MS' },
  },
  transport: {
    prefetch: { doc: 'Most unsettled notifications per VIM (0-9-1 prefetch, 1.0 credit): the in-flight and duplicate bound.', format: positiveInt(1), default: DEFAULT_TRANSPORT_OPTIONS.prefetch, env: 'VIM_EVENT_RELAY_TRANSPORT_PREFETCH' },
    reconnectInitialMs: { doc: 'First broker reconnect delay; doubles per failed round (full jitter).', format: positiveInt(1), default: DEFAULT_TRANSPORT_OPTIONS.reconnectInitialMs, env: 'VIM_EVENT_RELAY_TRANSPORT_RECONNECT_INITIAL_MS' },
    reconnectMaxMs: { doc: 'Cap of the broker reconnect delay.', format: positiveInt(1), default: DEFAULT_TRANSPORT_OPTIONS.reconnectMaxMs, env: 'VIM_EVENT_RELAY_TRANSPORT_RECONNECT_MAX_MS' },
    heartbeatSeconds: { doc: "Broker heartbeat / idle timeout (oslo's default 60); a URL's ?heartbeat_timeout_threshold= wins.", format: positiveInt(0), default: DEFAULT_TRANSPORT_OPTIONS.heartbeatSeconds, env: 'VIM_EVENT_RELAY_TRANSPORT_HEARTBEAT_SECONDS' },
    maxBodyBytes: { doc: 'A notification body larger than this is dead-lettered (BODY_TOO_LARGE) unparsed.', format: positiveInt(1024), default: DEFAULT_TRANSPORT_OPTIONS.maxBodyBytes, env: 'VIM_EVENT_RELAY_TRANSPORT_MAX_BODY_BYTES' },
    connectTimeoutMs: { doc: 'One connection attempt to one broker host (TCP, TLS, login, declarations, consumers) must finish within this, else the next host is tried.', format: positiveInt(1), default: DEFAULT_TRANSPORT_OPTIONS.connectTimeoutMs, env: 'VIM_EVENT_RELAY_TRANSPORT_CONNECT_TIMEOUT_MS' },
    maxConcurrentConnects: { doc: 'Broker TCP connects in progress at once, across all VIMs; the rest wait their turn (a connect holds its slot until TCP is up, at most transport.connectTimeoutMs).', format: positiveInt(1), default: DEFAULT_TRANSPORT_OPTIONS.maxConcurrentConnects, env: 'VIM_EVENT_RELAY_TRANSPORT_MAX_CONCURRENT_CONNECTS' },
  },
  store: {
    path: { doc: 'JSON file holding VIMs, subscriptions and compute-node memory, VES agent configurations and open VES alarms (atomic writes); used when store.url is empty.', format: String, default: './data/state.json', env: 'VIM_EVENT_RELAY_STORE_PATH' },
    url: { doc: 'postgres://user:password@host:5432/database: keep the store in PostgreSQL, shared by replicas (tables created and migrated by the daemon); empty = the file at store.path.', format: postgresUrl, default: '', env: 'VIM_EVENT_RELAY_STORE_URL', sensitive: true },
    reconcileMs: { doc: 'PostgreSQL store: reload every row this often, healing a missed change notification.', format: positiveInt(100), default: 5000, env: 'VIM_EVENT_RELAY_STORE_RECONCILE_MS' },
    timeoutMs: { doc: 'PostgreSQL store: connect and statement timeout; past it a write answers 503 STORE_UNAVAILABLE.', format: positiveInt(100), default: 5000, env: 'VIM_EVENT_RELAY_STORE_TIMEOUT_MS' },
    secretKeyFile: { doc: 'Key file (lines "<keyId>:<base64 of 32 bytes>", the first encrypts): VIM transport URLs and VES collector passwords are stored AES-256-GCM encrypted; empty = stored in clear (a warning at start).', format: String, default: '', env: 'VIM_EVENT_RELAY_STORE_SECRET_KEY_FILE' },
  },
  monitor: {
    backlogIntervalMs: { doc: "How often each VIM's queue and dead-letter queue depth are read from its broker (passive declare on a short connection): the vim_event_relay_queue_* and dead_letter_messages gauges and GET /api/v1/vims/{id}; 0 = never.", format: positiveInt(0), default: 60000, env: 'VIM_EVENT_RELAY_MONITOR_BACKLOG_INTERVAL_MS' },
  },
  messages: {
    errorFault: { doc: "ERROR messages carry a fault object: nova's exception class, message and code (README \"Published messages\"); false = the VM message alone.", format: Boolean, default: true, env: 'VIM_EVENT_RELAY_MESSAGES_ERROR_FAULT' },
  },
  log: {
    level: { doc: 'error, warn, info, debug.', format: ['error', 'warn', 'info', 'debug'], default: 'info', env: 'VIM_EVENT_RELAY_LOG_LEVEL' },
    format: { doc: 'json (one object a line), pretty, or auto (pretty on a TTY).', format: ['json', 'pretty', 'auto'], default: 'auto', env: 'VIM_EVENT_RELAY_LOG_FORMAT' },
  },
  shutdown: {
    timeoutMs: { doc: 'On SIGTERM: time to finish in-flight notifications before requeueing the rest.', format: positiveInt(0), default: 10000, env: 'VIM_EVENT_RELAY_SHUTDOWN_TIMEOUT_MS' },
  },
  dedupe: {
    windowSize: { doc: 'Recently published message_ids remembered per VIM to drop broker redeliveries; 0 = off.', format: positiveInt(0), default: 10000, env: 'VIM_EVENT_RELAY_DEDUPE_WINDOW_SIZE' },
  },
  recent: {
    windowSize: { doc: 'State changes kept per VIM for check_vim_status.', format: positiveInt(1), default: 1000, env: 'VIM_EVENT_RELAY_RECENT_WINDOW_SIZE' },
  },
  vims: { doc: 'VIMs seeding an empty store (see "VIMs"); JSON in the env var.', format: 'vim-list', default: [] as unknown[], env: 'VIM_EVENT_RELAY_VIMS' },
  subscriptions: { doc: 'Subscriptions seeding an empty store; JSON in the env var.', format: 'subscription-list', default: [] as unknown[], env: 'VIM_EVENT_RELAY_SUBSCRIPTIONS' },
};
