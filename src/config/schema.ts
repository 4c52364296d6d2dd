/**
 * The configuration schema: every key with its doc, default, env var and sensitivity, in one
 * place (as nodejs-pubsub's default-options.ts). README's configuration table is checked
 * against this by test/unit/config/docs-sync.test.ts.
 */
import convict from 'convict';
import { validateSubscriptionItems, validateVimItems } from './items.js';
import { PUBLISHER_DEFAULTS } from '../publish/options.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../transport/options.js';
import { VES_DEFAULTS } from '../publish/ves/options.js';

convict.addFormat({
  name: 'vim-list',
  validate: (v: unknown) => validateVimItems(v),
  coerce: (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v),
});
convict.addFormat({
  name: 'subscription-list',
  validate: (v: unknown) => validateSubscriptionItems(v),
  coerce: (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v),
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

export const configSchema = {
  admin: {
    host: { doc: 'Address the admin HTTP port binds to.', format: String, default: '127.0.0.1', env: 'VIM_EVENT_RELAY_ADMIN_HOST' },
    port: { doc: 'Admin HTTP port (0 = pick a free one, logged at start).', format: 'port', default: 8080, env: 'VIM_EVENT_RELAY_ADMIN_PORT' },
    authToken: { doc: 'When set, /api/* needs "Authorization: Bearer <token>".', format: String, default: '', env: 'VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN', sensitive: true },
    bodyLimitBytes: { doc: 'Largest admin request body accepted (413 beyond).', format: positiveInt(1), default: 1048576, env: 'VIM_EVENT_RELAY_ADMIN_BODY_LIMIT_BYTES' },
  },
  dmaap: {
    url: { doc: 'DMaaP Message Router base URL (http://host:3904 or https://host:3905).', format: httpUrl, default: 'http://127.0.0.1:3904', env: 'VIM_EVENT_RELAY_DMAAP_URL' },
    username: { doc: 'Basic-auth user (AAF identity); empty = no auth.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_USERNAME' },
    password: { doc: 'Basic-auth password.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_PASSWORD', sensitive: true },
    caFile: { doc: 'PEM CA bundle to verify an HTTPS Message Router; empty = system CAs.', format: String, default: '', env: 'VIM_EVENT_RELAY_DMAAP_CA_FILE' },
    timeoutMs: { doc: 'Per-request timeout; a request past it is retried.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.timeoutMs, env: 'VIM_EVENT_RELAY_DMAAP_TIMEOUT_MS' },
  },
  publish: {
    batchMaxMessages: { doc: 'Most messages in one POST to a topic.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.batchMaxMessages, env: 'VIM_EVENT_RELAY_PUBLISH_BATCH_MAX_MESSAGES' },
    batchMaxBytes: { doc: 'Most bytes in one POST (a larger single message goes alone).', format: positiveInt(1024), default: PUBLISHER_DEFAULTS.batchMaxBytes, env: 'VIM_EVENT_RELAY_PUBLISH_BATCH_MAX_BYTES' },
    lingerMs: { doc: 'How long a batch waits to fill before it is sent.', format: positiveInt(0), default: PUBLISHER_DEFAULTS.lingerMs, env: 'VIM_EVENT_RELAY_PUBLISH_LINGER_MS' },
    maxInFlightRequests: { doc: 'Most DMaaP requests in flight at once (all topics).', format: positiveInt(1), default: PUBLISHER_DEFAULTS.maxInFlightRequests, env: 'VIM_EVENT_RELAY_PUBLISH_MAX_IN_FLIGHT_REQUESTS' },
    retryInitialMs: { doc: 'First retry delay; doubles per failure (full jitter).', format: positiveInt(1), default: PUBLISHER_DEFAULTS.retryInitialMs, env: 'VIM_EVENT_RELAY_PUBLISH_RETRY_INITIAL_MS' },
    retryMaxMs: { doc: 'Cap of the retry delay.', format: positiveInt(1), default: PUBLISHER_DEFAULTS.retryMaxMs, env: 'VIM_EVENT_RELAY_PUBLISH_RETRY_MAX_MS' },
    maxRetryMs: { doc: 'Dead-letter a message that has kept failing this long (DMAAP_RETRY_EXPIRED); 0 = retry forever.', format: positiveInt(0), default: PUBLISHER_DEFAULTS.maxRetryMs, env: 'VIM_EVENT_RELAY_PUBLISH_MAX_RETRY_MS' },
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
  },
  store: {
    path: { doc: 'JSON file holding VIMs, subscriptions, compute-node memory, VES agent configurations and open VES alarms (atomic writes).', format: String, default: './data/state.json', env: 'VIM_EVENT_RELAY_STORE_PATH' },
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
  vims: { doc: 'VIMs seeding an empty store (CONTRACT section 3); JSON in the env var.', format: 'vim-list', default: [] as unknown[], env: 'VIM_EVENT_RELAY_VIMS' },
  subscriptions: { doc: 'Subscriptions seeding an empty store; JSON in the env var.', format: 'subscription-list', default: [] as unknown[], env: 'VIM_EVENT_RELAY_SUBSCRIPTIONS' },
};
