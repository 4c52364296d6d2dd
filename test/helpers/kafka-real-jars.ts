/**
 * What a real Apache Kafka broker needs before it starts, without Docker: its jars from Maven
 * Central (fetched once into a cache outside the repository; nothing is downloaded when the cache
 * is warm) and a CA with a broker and a client certificate made by openssl.
 *
 * KAFKA_VERSION picks the release (default DEFAULT_KAFKA_VERSION); KAFKA_JARS_CACHE the cache's
 * root (default ~/.cache/vim-event-relay).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const KAFKA_VERSION_ENV = 'KAFKA_VERSION';
/** The release CI runs (the newest 4.x served); scripts/kafka-versions.sh runs the others. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  const v = (env[KAFKA_VERSION_ENV] ?? '').trim() || DEFAULT_KAFKA_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(v))
    throw new Error(`${KAFKA_VERSION_ENV} must be a Kafka release such as 3.9.2 or 4.4.0, got "${v}"`);
  return v;
}

export function jarsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_JARS_CACHE?.trim() || path.join(os.homedir(), '.cache', 'vim-event-relay');
}

/**
 * The pom whose runtime dependencies are the broker: kafka_2.13 and an SLF4J binding (without one
 * a broker that fails to start says nothing). Kafka 3.x logs through SLF4J 1.7, 4.x through 2.0.
 */
export function kafkaPom(version: string): string {
  const slf4j = Number(version.split('.')[0]) >= 4 ? '2.0.17' : '1.7.36';
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>',
    `<groupId>vim-event-relay.test</groupId><artifactId>kafka-broker</artifactId><version>${version}</version>`,
    '<dependencies>',
    dep('org.slf4j', 'slf4j-api', slf4j),
    dep('org.slf4j', 'slf4j-simple', slf4j),
    dep('org.apache.kafka', 'kafka_2.13', version),
    '</dependencies></project>',
    '',
  ].join('\n');
}

/**
 * The folder of the release's jars, fetched with Maven on first use (`mvn` on the PATH; Maven's
 * own cache ~/.m2 makes a second fetch local). A marker written last says the folder is complete.
 */
export function ensureKafkaJars(version = kafkaVersion(), log: (line: string) => void = () => {}): string {
  const home = path.join(jarsCacheRoot(), `kafka-${version}`);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, 'complete');
  if (existsSync(marker)) return libs;
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'pom.xml'), kafkaPom(version));
  log(`fetching Apache Kafka ${version}'s jars with Maven into ${libs}`);
  try {
    execFileSync(
      'mvn',
      ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
      { cwd: home, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
    );
  } catch (e) {
    const err = e as { code?: string; stdout?: Buffer; stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new Error('the real Kafka broker needs Maven (mvn) on the PATH to fetch its jars', { cause: e });
    const out = `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`.trim().split('\n').slice(-15);
    throw new Error(`mvn could not fetch org.apache.kafka:kafka_2.13:${version}:\n${out.join('\n')}`, { cause: e });
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return libs;
}

export interface KafkaCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  /** The broker's certificate (SAN IP:127.0.0.1, DNS:localhost) and key, PEM (PKCS#8). */
  readonly brokerCert: string;
  readonly brokerKey: string;
  /** The relay's client certificate, CN=relay (the mTLS listener maps it to User:relay). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** A CA, a broker certificate and a client certificate for `clientCn`, made with openssl in `dir`. */
export function makeKafkaCerts(dir: string, clientCn: string): KafkaCerts {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  ssl(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=relay-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', f('ca.key'), '-out', f('ca.crt'),
  ); // prettier-ignore
  const issue = (name: string, cn: string, ext: string) => {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl(
      'x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`),
    ); // prettier-ignore
  };
  issue('broker', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  issue('client', clientCn, 'extendedKeyUsage=clientAuth');
  const read = (name: string) => readFileSync(f(name), 'utf8');
  return {
    dir,
    caFile: f('ca.crt'),
    ca: read('ca.crt'),
    brokerCert: read('broker.crt'),
    brokerKey: read('broker.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
  };
}

/** A PEM text as one server.properties value: Java's properties loader turns `\n` back into newlines. */
export const pemProperty = (pem: string): string => pem.trim().replace(/\r?\n/g, '\\n');
