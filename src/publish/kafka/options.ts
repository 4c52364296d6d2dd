/**
 * Every KafkaDestination option with its default (one commented place), and the pure steps that
 * turn the relay's kafka.* config into the client's connection settings. Errors name the config
 * key and the fix, and never quote a secret.
 */
import type { DestinationHooks } from '../destination.js';
import { mechanismOfModule, parseJaasConfig } from './jaas.js';

export type SaslMechanism = '' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['', 'plain', 'scram-sha-256', 'scram-sha-512'];

export interface KafkaSaslConfig {
  /** '' = no SASL (kafka.sasl.mechanism). Strimzi's listener 9092 in ONAP: scram-sha-512. */
  readonly mechanism: SaslMechanism;
  readonly username?: string;
  readonly password?: string;
  /** A KafkaUser Secret's sasl.jaas.config, as it is; user and password are read from it. */
  readonly jaasConfig?: string;
}

export interface KafkaSslConfig {
  readonly enabled: boolean;
  /** PEM CA bundle; empty = the system CAs. */
  readonly caFile?: string;
  /** Client certificate and key (mutual TLS, Strimzi's listener 9093); both or neither. */
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface KafkaDestinationOptions {
  /** host:port of one or more brokers (kafka.brokers). */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly sasl?: KafkaSaslConfig;
  readonly ssl?: KafkaSslConfig;
  /** Records in one produce request to one partition. Default 500. */
  readonly batchMaxMessages?: number;
  /** Bytes (values) in one produce request to one partition; a larger single record goes alone. Default 1_000_000 (Kafka's message.max.bytes). */
  readonly batchMaxBytes?: number;
  /** How long a partition's open batch waits for company, ms. Default 5. */
  readonly lingerMs?: number;
  /** Produce requests in flight at once, all partitions together (each partition has at most one). Default 8. */
  readonly maxInFlightRequests?: number;
  /** Deadline of one request and the broker's wait for acks=all, ms. Default 30000 (Kafka's request.timeout.ms). */
  readonly requestTimeoutMs?: number;
  /** TCP + TLS + SASL connect deadline, ms. Default 10000. */
  readonly connectionTimeoutMs?: number;
  /** Backoff: upper bound of the first retry delay, ms. Default 250. */
  readonly retryInitialMs?: number;
  /** Backoff: cap of the retry delay, ms. Default 30000. */
  readonly retryMaxMs?: number;
  /** A partition (or topic lookup) failing longer than this dead-letters its records (KAFKA_RETRY_EXPIRED); 0 = forever. Default 0. */
  readonly maxRetryMs?: number;
  /** A topic's partition count is looked up again after this long, ms. Default 300000 (Kafka's metadata.max.age.ms). */
  readonly metadataMaxAgeMs?: number;
  /** Sanity cap on unsettled records (the real bound is every listener's prefetch). Default 100000. */
  readonly maxPending?: number;
  readonly hooks?: DestinationHooks;
  /**
   * Whether a subscription still names `topic` for Kafka (the relay asks its live subscriptions).
   * Records of a topic nobody wants any more are not retried: at their next retry they are settled
   * with KAFKA_TOPIC_UNREFERENCED. Default: every topic is wanted.
   */
  readonly isTopicWanted?: (topic: string) => boolean;
  /** Backoff jitter source in [0, 1); for tests. */
  readonly random?: () => number;
}

export const KAFKA_DEFAULTS = {
  clientId: 'vim-event-relay',
  batchMaxMessages: 500,
  batchMaxBytes: 1_000_000,
  lingerMs: 5,
  maxInFlightRequests: 8,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
  maxRetryMs: 0,
  metadataMaxAgeMs: 300_000,
  maxPending: 100_000,
} as const;

type Numeric = Exclude<keyof typeof KAFKA_DEFAULTS, 'clientId'>;
export type ResolvedKafkaOptions = {
  readonly [K in keyof typeof KAFKA_DEFAULTS]: K extends 'clientId' ? string : number;
} & {
  readonly brokers: readonly string[];
  readonly sasl?: ClientSasl;
  readonly ssl: KafkaSslConfig;
  readonly hooks?: DestinationHooks;
  readonly isTopicWanted: (topic: string) => boolean;
  readonly random: () => number;
};

/** What the client takes for SASL. */
export interface ClientSasl {
  readonly mechanism: Exclude<SaslMechanism, ''>;
  readonly username: string;
  readonly password: string;
}

const AT_LEAST_ONE: readonly Numeric[] = [
  'batchMaxMessages',
  'batchMaxBytes',
  'maxInFlightRequests',
  'requestTimeoutMs',
  'connectionTimeoutMs',
  'maxPending',
  'metadataMaxAgeMs',
];
const AT_LEAST_ZERO: readonly Numeric[] = ['lingerMs', 'retryInitialMs', 'retryMaxMs', 'maxRetryMs'];

export function resolveKafkaOptions(opts: KafkaDestinationOptions): ResolvedKafkaOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const r = { ...KAFKA_DEFAULTS, random: Math.random, isTopicWanted: () => true, ...defined } as Record<
    string,
    unknown
  >;
  const problems = [...brokerProblems(opts.brokers)];
  for (const k of AT_LEAST_ONE)
    if (!(Number.isInteger(r[k]) && (r[k] as number) >= 1))
      problems.push(`kafka option ${k} must be an integer >= 1, got ${String(r[k])}`);
  for (const k of AT_LEAST_ZERO)
    if (!(typeof r[k] === 'number' && r[k] >= 0)) problems.push(`kafka option ${k} must be >= 0, got ${String(r[k])}`);
  const ssl = opts.ssl ?? { enabled: false };
  problems.push(...sslProblems(ssl));
  let sasl: ClientSasl | undefined;
  try {
    sasl = resolveSasl(opts.sasl);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return { ...(r as unknown as ResolvedKafkaOptions), brokers: opts.brokers, sasl, ssl };
}

export function brokerProblems(brokers: readonly string[]): string[] {
  // The config may hand over anything; checked on a copy so the typed list is not narrowed to any[].
  const given: unknown = brokers;
  if (!Array.isArray(given) || brokers.length === 0)
    return ['kafka.brokers: list at least one broker as host:port, e.g. onap-strimzi-kafka-bootstrap:9092'];
  return brokers
    .filter(
      (b) => !/^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d{1,5}$/.test(b) || Number(b.slice(b.lastIndexOf(':') + 1)) > 65535,
    )
    .map((b) => `kafka.brokers: "${b}" is not host:port; write e.g. onap-strimzi-kafka-bootstrap:9092 (no scheme)`);
}

/** The user and password to authenticate with, from the JAAS text or the separate keys. */
export function resolveSasl(sasl: KafkaSaslConfig | undefined): ClientSasl | undefined {
  const mechanism = sasl?.mechanism ?? '';
  const jaas = sasl?.jaasConfig?.trim() ?? '';
  const user = sasl?.username ?? '';
  const pass = sasl?.password ?? '';
  if (!SASL_MECHANISMS.includes(mechanism)) {
    throw new Error(
      `kafka.sasl.mechanism: "${String(mechanism)}" is not one of plain, scram-sha-256, scram-sha-512 (or empty for no SASL)`,
    );
  }
  if (mechanism === '') {
    if (jaas || user || pass)
      throw new Error(
        "kafka.sasl.mechanism is empty but credentials are set; set it to scram-sha-512 (Strimzi's SCRAM listener), scram-sha-256 or plain",
      );
    return undefined;
  }
  if (jaas && (user || pass)) throw new Error('kafka.sasl: set either jaasConfig or username/password, not both');
  if (jaas) {
    let login;
    try {
      login = parseJaasConfig(jaas);
    } catch (e) {
      throw new Error(
        `kafka.sasl.jaasConfig ${(e as Error).message}; pass the KafkaUser Secret's sasl.jaas.config value as it is`,
        { cause: e },
      );
    }
    const family = mechanismOfModule(login.loginModule);
    const wanted = mechanism === 'plain' ? 'plain' : 'scram';
    if (family !== '' && family !== wanted) {
      throw new Error(
        `kafka.sasl.jaasConfig names a ${family === 'plain' ? 'PlainLoginModule' : 'ScramLoginModule'} but kafka.sasl.mechanism is ${mechanism}; make them agree`,
      );
    }
    const { username, password } = login.options;
    if (!username || !password) throw new Error('kafka.sasl.jaasConfig must hold username="..." and password="..."');
    return { mechanism, username, password };
  }
  if (!user || !pass)
    throw new Error(
      `kafka.sasl.mechanism is ${mechanism}; set kafka.sasl.jaasConfig, or both kafka.sasl.username and kafka.sasl.password`,
    );
  return { mechanism, username: user, password: pass };
}

export function sslProblems(ssl: KafkaSslConfig): string[] {
  const problems: string[] = [];
  const files = (['caFile', 'certFile', 'keyFile'] as const).filter((k) => ssl[k]);
  if (!ssl.enabled && files.length)
    problems.push(`kafka.ssl.${files[0]} is set but kafka.ssl.enabled is false; set kafka.ssl.enabled to true`);
  if (Boolean(ssl.certFile) !== Boolean(ssl.keyFile))
    problems.push('kafka.ssl.certFile and kafka.ssl.keyFile go together (mutual TLS); set both or neither');
  return problems;
}

/** The client's TLS settings: false, true (system CAs), or the PEM files read. */
export function buildTls(
  ssl: KafkaSslConfig,
  readFile: (path: string) => Buffer,
): false | true | { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  if (!ssl.enabled) return false;
  if (!ssl.caFile && !ssl.certFile) return true;
  const read = (key: 'caFile' | 'certFile' | 'keyFile'): Buffer | undefined => {
    const path = ssl[key];
    if (!path) return undefined;
    try {
      return readFile(path);
    } catch (e) {
      throw new Error(
        `kafka.ssl.${key}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); mount the file or fix the path`,
        { cause: e },
      );
    }
  };
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca = read('caFile');
  const cert = read('certFile');
  const key = read('keyFile');
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  return tls;
}
