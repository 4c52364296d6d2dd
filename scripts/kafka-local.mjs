#!/usr/bin/env node
// `npm run kafka:local [topic ...]`: a real Apache Kafka broker on loopback to try the relay's
// Kafka sink against, as ONAP's Strimzi runs it: SCRAM-SHA-512 (plain and over TLS), mutual TLS,
// ACLs, no automatic topic creation. The jars come from Maven Central once (cached in
// ~/.cache/vim-event-relay/kafka-<version>, KAFKA_JARS_CACHE to move it); KAFKA_VERSION picks
// the release. The topics named (default VIM_VM_EVENTS VIM_ALL_EVENTS) are created and granted to
// the user "relay" (Write, Describe). Prints the relay's settings for each listener; Ctrl-C stops
// the broker and deletes its folder (certificates included).
//
// It runs the tests' helper (test/helpers/kafka-real.ts), compiled by `npm run kafka:local`.
import { startRealKafka, RELAY_USER } from '../dist/bench/test/helpers/kafka-real.js';

const topics = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['VIM_VM_EVENTS', 'VIM_ALL_EVENTS'];
const say = (line) => process.stdout.write(`${line}\n`);

const kafka = await startRealKafka({ log: say });
for (const topic of topics) {
  await kafka.createTopic(topic, 3, 1);
  await kafka.grantRelay(topic);
}
const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${RELAY_USER}" password="${kafka.relayPassword}";`;
const certs = kafka.certs;
say(`Apache Kafka ${kafka.version} is up in ${Math.round(kafka.startupMs)} ms; topics ${topics.join(', ')}`);
say(`(a subscription takes "sink": "kafka" and one of these topics; see docs/kafka.md)\n`);
say(`# SCRAM-SHA-512 (Strimzi's 9092):`);
say(`export VIM_EVENT_RELAY_KAFKA_BROKERS=${kafka.scram[0]}`);
say(`export VIM_EVENT_RELAY_KAFKA_SASL_MECHANISM=scram-sha-512`);
say(`export VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG='${jaas}'\n`);
say(`# SCRAM-SHA-512 over TLS: the same SASL lines, and`);
say(`export VIM_EVENT_RELAY_KAFKA_BROKERS=${kafka.scramTls[0]}`);
say(`export VIM_EVENT_RELAY_KAFKA_SSL_ENABLED=true VIM_EVENT_RELAY_KAFKA_SSL_CA_FILE=${certs.caFile}\n`);
say(`# Mutual TLS (Strimzi's 9093), no SASL:`);
say(`export VIM_EVENT_RELAY_KAFKA_BROKERS=${kafka.mtls[0]} VIM_EVENT_RELAY_KAFKA_SSL_ENABLED=true`);
say(`export VIM_EVENT_RELAY_KAFKA_SSL_CA_FILE=${certs.caFile}`);
say(
  `export VIM_EVENT_RELAY_KAFKA_SSL_CERT_FILE=${certs.clientCertFile} VIM_EVENT_RELAY_KAFKA_SSL_KEY_FILE=${certs.clientKeyFile}\n`,
);
say(`# Plaintext, a super user (to read what the relay wrote): ${kafka.brokers[0]}`);
say(`Ctrl-C stops the broker.`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  say('stopping the broker');
  kafka.stop().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${e.stack ?? e}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
