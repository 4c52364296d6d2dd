import kafkajs from 'kafkajs';
import {
  classifyKafkaError,
  explainLogin,
  isRecordScoped,
  KAFKA_ERROR_KINDS,
} from '../../../../src/publish/kafka/classify.js';

/** kafkajs' own error classes (exported at run time; its typings declare only some of them). */
type KafkaJsErrorClass = new (e: unknown, meta?: object) => Error;
const {
  KafkaJSConnectionClosedError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} = kafkajs as unknown as Record<string, KafkaJsErrorClass>;

/** Shaped as kafkajs throws them (KafkaJSProtocolError and friends), without a connection. */
const protocolError = (type: string, code: number, retriable: boolean) =>
  Object.assign(new Error(`${type} message`), { name: 'KafkaJSProtocolError', type, code, retriable });
const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe('classifyKafkaError', () => {
  it.each([
    ['NOT_LEADER_FOR_PARTITION', 6, true, 'retry'],
    ['LEADER_NOT_AVAILABLE', 5, true, 'retry'],
    ['NOT_ENOUGH_REPLICAS', 19, true, 'retry'],
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'retry'],
    ['REQUEST_TIMED_OUT', 7, true, 'retry'],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'retry'],
    ['SASL_AUTHENTICATION_FAILED', 58, false, 'retry'],
    ['TOPIC_AUTHORIZATION_FAILED', 29, false, 'permanent'],
    ['MESSAGE_TOO_LARGE', 10, false, 'permanent'],
    ['RECORD_LIST_TOO_LARGE', 18, false, 'permanent'],
    ['INVALID_RECORD', 87, false, 'permanent'],
    ['POLICY_VIOLATION', 44, false, 'permanent'],
  ])('%s (%i) -> %s', (type, code, retriable, kind) => {
    const o = classifyKafkaError(protocolError(type, code, retriable));
    expect(o.kind).toBe(kind);
    expect(o.code).toBe(code);
    expect(o.reason).toContain(type);
    expect(o.reason).toContain(`Kafka error ${code}`);
  });

  it("follows Kafka's retriable flag for an error the table does not name", () => {
    expect(classifyKafkaError(protocolError('OFFSET_NOT_AVAILABLE', 78, true)).kind).toBe('retry');
    expect(classifyKafkaError(protocolError('SECURITY_DISABLED', 54, false)).kind).toBe('permanent');
  });

  it('the table overrides the flag where the relay decides (a client upgrade cannot move these)', () => {
    expect(classifyKafkaError(protocolError('NOT_ENOUGH_REPLICAS', 19, false)).kind).toBe('retry');
    expect(classifyKafkaError(protocolError('TOPIC_AUTHORIZATION_FAILED', 29, true)).kind).toBe('permanent');
    expect(Object.values(KAFKA_ERROR_KINDS).every((k) => k === 'retry' || k === 'permanent')).toBe(true);
  });

  it.each([
    'KafkaJSConnectionError',
    'KafkaJSConnectionClosedError',
    'KafkaJSRequestTimeoutError',
    'KafkaJSBrokerNotFound',
    'KafkaJSMetadataNotLoaded',
    'KafkaJSSASLAuthenticationError',
  ])('%s (no answer, no broker, no metadata, bad credentials) is retried', (name) =>
    expect(classifyKafkaError(named(name, 'x')).kind).toBe('retry'),
  );

  it("looks under kafkajs' retry wrappers for the error that happened", () => {
    const inner = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false);
    expect(classifyKafkaError(named('KafkaJSNonRetriableError', 'wrapped', { cause: inner })).kind).toBe('permanent');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
    const wrapped = named('KafkaJSNonRetriableError', 'Connection error', {
      cause: named('KafkaJSConnectionError', 'Connection error', { cause: refused }),
    });
    expect(classifyKafkaError(wrapped)).toEqual({ kind: 'retry', reason: 'KafkaJSConnectionError: Connection error' });
    const exceeded = named('KafkaJSNumberOfRetriesExceeded', 'x', {
      originalError: protocolError('NOT_LEADER_FOR_PARTITION', 6, true),
    });
    expect(classifyKafkaError(exceeded).code).toBe(6);
  });

  it('a broker without the API the client needs: retried, naming the API, and for SASL what to check', () => {
    const missing = (apiName: string) =>
      named('KafkaJSServerDoesNotSupportApiKey', 'The Kafka server does not support the requested API version', {
        apiKey: 17,
        apiName,
      });
    const sasl = classifyKafkaError(
      named('KafkaJSNumberOfRetriesExceeded', 'x', { originalError: missing('SaslHandshake') }),
    );
    expect(sasl).toEqual({
      kind: 'retry',
      reason:
        'KafkaJSServerDoesNotSupportApiKey: The Kafka server does not support the requested API version (SaslHandshake): the broker offers no SASL on this listener; check kafka.brokers (the SASL listener) and kafka.sasl.mechanism',
    });
    const other = classifyKafkaError(missing('DescribeConfigs'));
    expect(other.kind).toBe('retry');
    expect(other.reason).toMatch(/\(DescribeConfigs\)$/);
  });

  it('a client-side refusal with no cause (a record without a value) is permanent; anything unknown is retried', () => {
    expect(classifyKafkaError(named('KafkaJSNonRetriableError', 'Invalid message without value')).kind).toBe(
      'permanent',
    );
    expect(classifyKafkaError(new Error('socket hang up'))).toEqual({ kind: 'retry', reason: 'socket hang up' });
    expect(classifyKafkaError(undefined).kind).toBe('retry');
  });
});

describe('isRecordScoped', () => {
  it('is true only for refusals about one record', () => {
    expect(isRecordScoped({ kind: 'permanent', reason: '', code: 10 })).toBe(true);
    expect(isRecordScoped({ kind: 'permanent', reason: '', code: 87 })).toBe(true);
    expect(isRecordScoped({ kind: 'permanent', reason: '', code: 29 })).toBe(false);
    expect(isRecordScoped({ kind: 'retry', reason: '', code: 10 })).toBe(false);
    expect(isRecordScoped({ kind: 'permanent', reason: '' })).toBe(false);
  });
});

describe('explainLogin: a failed connect that is a refused SASL login, as kafkajs throws it', () => {
  const login = { mechanism: 'scram-sha-512', username: 'nobody', brokers: ['127.0.0.1:9094'] };
  const closed = () => new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9094 });
  const refused = () => new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed: bad user');

  it.each([
    ['a closed connection', closed],
    // kafkajs' retrier (retries: 0 here) wraps a retriable error once its retries are spent:
    // the reason read a bare "Closed connection" when only the outer name was looked at.
    [
      'a closed connection under the retrier',
      () => new KafkaJSNumberOfRetriesExceeded(closed(), { retryCount: 0, retryTime: 300 }),
    ],
    ['a refused login', refused],
    ['a refused login under the retrier', () => new KafkaJSNonRetriableError(refused(), { cause: refused() })],
  ])('%s: names the mechanism, the user and the brokers, and keeps the inner name', (_, make) => {
    const e = make();
    const explained = explainLogin(e, login);
    expect(explained?.message).toMatch(/^SASL SCRAM-SHA-512 login as "nobody" (refused by|to) 127\.0\.0\.1:9094/);
    expect(explained?.message).toContain('kafka.sasl.jaasConfig');
    expect(explained?.cause).toBe(e);
    // Classified as what it explains: retried, not dead-lettered.
    expect(classifyKafkaError(explained).kind).toBe('retry');
    expect(classifyKafkaError(explained).reason).toContain('login as "nobody"');
  });

  it('leaves any other failure alone', () => {
    expect(explainLogin(new Error('connect ECONNREFUSED 127.0.0.1:9094'), login)).toBeUndefined();
    expect(explainLogin(undefined, login)).toBeUndefined();
  });
});
