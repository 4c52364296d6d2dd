import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, redactedConfig } from '../../../src/config/load.js';
import { isRelayError } from '../../../src/errors.js';
import { kafkaDestinationOptions, kafkaSecrets } from '../../../src/publish/kafka/config.js';
import { KAFKA_DEFAULTS, resolveKafkaOptions } from '../../../src/publish/kafka/options.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ver-kafka-config-'));
function file(content: unknown): string {
  const f = path.join(dir, `${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(content));
  return f;
}
function refusal(content: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(file(content), env);
  } catch (e) {
    expect(isRelayError(e) && e.code).toBe('CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
}

const JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="vim-event-relay" password="Kp4ssw0rd-x";';

describe('kafka.* config', () => {
  it('defaults: no broker (Kafka off), no SASL, no TLS, the destination defaults', () => {
    const k = loadConfig(undefined, {}).kafka;
    expect(k.brokers).toEqual([]);
    expect(k.sasl).toEqual({ mechanism: '', username: '', password: '', jaasConfig: '' });
    expect(k.ssl).toEqual({ enabled: false, caFile: '', certFile: '', keyFile: '' });
    expect(k.batchMaxMessages).toBe(KAFKA_DEFAULTS.batchMaxMessages);
    expect(k.maxRetryMs).toBe(0);
  });

  it('refuses a kafka sink while kafka.brokers is empty, naming both keys', () => {
    expect(() => loadConfig(undefined, { VIM_EVENT_RELAY_SINKS_DEFAULT: 'kafka' })).toThrow(/sinks\.default \(VIM_EVENT_RELAY_SINKS_DEFAULT\) is "kafka" but kafka\.brokers is empty; set kafka\.brokers \(VIM_EVENT_RELAY_KAFKA_BROKERS\)/);
    expect(loadConfig(undefined, { VIM_EVENT_RELAY_SINKS_DEFAULT: 'kafka', VIM_EVENT_RELAY_KAFKA_BROKERS: 'k:9092' }).sinks.default).toBe('kafka');
  });

  it('takes a comma-separated broker list, SCRAM from JAAS_CONFIG and TLS from the env', () => {
    // The CA file must exist: the configuration's files are read when it is loaded.
    const ca = file('-----BEGIN CERTIFICATE-----');
    const k = loadConfig(undefined, {
      VIM_EVENT_RELAY_KAFKA_BROKERS: 'onap-strimzi-kafka-bootstrap:9093, kafka-1:9093',
      VIM_EVENT_RELAY_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG: JAAS,
      VIM_EVENT_RELAY_KAFKA_SSL_ENABLED: 'true',
      VIM_EVENT_RELAY_KAFKA_SSL_CA_FILE: ca,
    }).kafka;
    expect(k.brokers).toEqual(['onap-strimzi-kafka-bootstrap:9093', 'kafka-1:9093']);
    const o = resolveKafkaOptions(kafkaDestinationOptions(k));
    expect(o.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'vim-event-relay', password: 'Kp4ssw0rd-x' });
    expect(o.ssl).toEqual({ enabled: true, caFile: ca, certFile: '', keyFile: '' });
  });

  it.each([
    [{ kafka: { brokers: ['kafka'] } }, 'kafka.brokers: "kafka" is not host:port'],
    [{ kafka: { sasl: { mechanism: 'gssapi' } } }, 'kafka.sasl.mechanism'],
    [{ kafka: { sasl: { mechanism: 'scram-sha-512' } } }, 'kafka.sasl.mechanism is scram-sha-512; set kafka.sasl.jaasConfig, or both'],
    [{ kafka: { sasl: { jaasConfig: JAAS } } }, 'kafka.sasl.mechanism is empty but credentials are set'],
    [{ kafka: { sasl: { mechanism: 'scram-sha-512', jaasConfig: 'username="u" password="Kp4ssw0rd-x";' } } }, 'kafka.sasl.jaasConfig must start with a login module class'],
    [{ kafka: { ssl: { caFile: '/ca.pem' } } }, 'kafka.ssl.caFile is set but kafka.ssl.enabled is false'],
    [{ kafka: { ssl: { enabled: true, certFile: '/c.pem' } } }, 'kafka.ssl.certFile and kafka.ssl.keyFile go together'],
    [{ kafka: { lingerMs: -1 } }, 'kafka.lingerMs'],
    [{ kafka: { sasl: { mechanizm: 'plain' } } }, 'kafka.sasl.mechanizm: unknown key'],
  ])('refuses %j naming the key (%s), never quoting a password', (content, expected) => {
    const msg = refusal(content);
    expect(msg).toContain(expected);
    expect(msg).not.toContain('Kp4ssw0rd-x');
  });

  it('redacts the password and the JAAS text in the effective config, and lists them for the logger', () => {
    const cfg = loadConfig(file({ kafka: { sasl: { mechanism: 'scram-sha-512', jaasConfig: JAAS } } }), {});
    const shown = JSON.stringify(redactedConfig(cfg));
    expect(shown).not.toContain('Kp4ssw0rd-x');
    expect(redactedConfig(cfg).kafka.sasl.jaasConfig).toBe('***');
    expect(kafkaSecrets(cfg.kafka)).toEqual([JAAS, 'Kp4ssw0rd-x']);
    const plain = loadConfig(file({ kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'pl41n-pw' } } }), {});
    expect(JSON.stringify(redactedConfig(plain))).not.toContain('pl41n-pw');
    expect(kafkaSecrets(plain.kafka)).toEqual(['pl41n-pw']);
  });
});

describe('sinks.default as a config file writes it', () => {
  const file = (body: unknown): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ver-sinks-'));
    const f = path.join(dir, 'config.json');
    writeFileSync(f, JSON.stringify(body));
    return f;
  };

  it('reads {"sinks": {"default": "kafka"}} and answers it under the same name', () => {
    const cfg = loadConfig(file({ sinks: { default: 'kafka' }, kafka: { brokers: ['k:9092'] } }), {});
    expect(cfg.sinks).toEqual({ default: 'kafka' });
  });

  it('names sinks.default (never the schema\'s inner name) when the value is wrong', () => {
    expect(() => loadConfig(file({ sinks: { default: 'kafak' } }), {})).toThrow(/^sinks\.default: must be one of the possible values: \["dmaap","kafka"\]$/m);
    expect(() => loadConfig(file({ sinks: { default: 'kafak' } }), {})).not.toThrow(/defaultSink/);
  });
});
