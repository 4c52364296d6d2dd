/**
 * A real Apache Kafka (KRaft, from its own jars: kafka-real-jars.ts) on loopback, no Docker: one
 * combined broker and controller with Strimzi's listeners, or a cluster of three for leader
 * changes. Started once per test file (a few seconds each); every process is killed by stop(), and
 * by a watchdog if the test process dies first.
 *
 * Listeners of the single broker: PLAINTEXT (the tests' admin, a super user, and inter-broker),
 * SCRAM (SASL_PLAINTEXT, SCRAM-SHA-512: Strimzi's 9092), SCRAMTLS (SASL_SSL) and MTLS (SSL with a
 * required client certificate: Strimzi's 9093, CN=relay mapped to User:relay). The
 * StandardAuthorizer refuses what no ACL allows; grantRelay gives User:relay what deploy/strimzi's
 * KafkaUser gives it: Write and Describe on a topic. No topic is created automatically.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs, { type Admin } from 'kafkajs';
import { freePort } from './daemon.js';
import { readTopic } from './kafka-under-test.js';
import type { DumpedRecord } from './kafka-mock.js';
import { ensureKafkaJars, kafkaVersion, makeKafkaCerts, pemProperty, type KafkaCerts } from './kafka-real-jars.js';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

export const RELAY_USER = 'relay';

export interface KafkaNode {
  readonly id: number;
  readonly dir: string;
  readonly plaintext: string;
  process?: ChildProcess;
}

export interface RealKafka {
  readonly version: string;
  readonly nodes: KafkaNode[];
  /** The PLAINTEXT bootstrap (super user: the tests' admin and readers). */
  readonly brokers: string[];
  /** Single broker only: the SASL_PLAINTEXT, SASL_SSL and SSL (mutual TLS) listeners. */
  readonly scram: string[];
  readonly scramTls: string[];
  readonly mtls: string[];
  readonly certs?: KafkaCerts;
  /** The relay user's SCRAM-SHA-512 password (random per start). */
  readonly relayPassword: string;
  readonly startupMs: number;
  createTopic(topic: string, partitions?: number, replicationFactor?: number): Promise<void>;
  /** Write and Describe on `topic` for User:relay, as deploy/strimzi's KafkaUser (or only `operations`). */
  grantRelay(topic: string, operations?: readonly ('Write' | 'Describe')[]): Promise<void>;
  records(topic: string): Promise<DumpedRecord[]>;
  /** The node leading `topic`'s `partition`. */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** SIGKILL one node's JVM and wait until it is gone. */
  kill(nodeId: number): Promise<void>;
  /** Resident memory (kB) of each running node, from /proc. */
  rssKb(): number[];
  stop(): Promise<void>;
}

interface Ports {
  plaintext: number;
  controller: number;
  scram?: number;
  scramTls?: number;
  mtls?: number;
}

function serverProperties(id: number, dir: string, p: Ports, voters: string, n: number, certs?: KafkaCerts): string {
  const listeners = [`PLAINTEXT://127.0.0.1:${p.plaintext}`, `CONTROLLER://127.0.0.1:${p.controller}`];
  const lines = [
    'process.roles=broker,controller',
    `node.id=${id}`,
    `controller.quorum.voters=${voters}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    'auto.create.topics.enable=false',
    `offsets.topic.replication.factor=${n}`,
    `transaction.state.log.replication.factor=${n}`,
    `transaction.state.log.min.isr=${Math.min(n, 2)}`,
    `min.insync.replicas=${Math.min(n, 2)}`,
    `default.replication.factor=${n}`,
    'group.initial.rebalance.delay.ms=0',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    'super.users=User:ANONYMOUS',
  ];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  if (certs && p.scram && p.scramTls && p.mtls) {
    listeners.push(`SCRAM://127.0.0.1:${p.scram}`, `SCRAMTLS://127.0.0.1:${p.scramTls}`, `MTLS://127.0.0.1:${p.mtls}`);
    protocols.push('SCRAM:SASL_PLAINTEXT', 'SCRAMTLS:SASL_SSL', 'MTLS:SSL');
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    lines.push(
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      `listener.name.scram.scram-sha-512.sasl.jaas.config=${jaas}`,
      `listener.name.scramtls.scram-sha-512.sasl.jaas.config=${jaas}`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.certificate.chain=${pemProperty(certs.brokerCert)}`,
      `ssl.keystore.key=${pemProperty(certs.brokerKey)}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.certificates=${pemProperty(certs.ca)}`,
      'listener.name.mtls.ssl.client.auth=required',
      // Strimzi's principal for a TLS KafkaUser is its name; here CN=relay becomes User:relay.
      'ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT',
    );
  }
  lines.push(`listeners=${listeners.join(',')}`, `listener.security.protocol.map=${protocols.join(',')}`);
  return `${lines.join('\n')}\n`;
}

/** A random cluster id as Kafka writes them: 16 bytes, base64url without padding. */
const clusterId = () => randomBytes(16).toString('base64url');

const JAVA_OPTS = [
  '-Xmx512m',
  '-Xms64m',
  '-XX:+UseSerialGC',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

/** What a broker's log says went wrong: its ERROR lines with what follows each, else its last lines. */
function problems(file: string, n = 25): string {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return '(no log)';
  }
  const first = lines.findIndex((l) => / (ERROR|FATAL) /.test(l));
  return (first >= 0 ? lines.slice(first, first + n) : lines.slice(-n)).join('\n');
}

/** Kills `pid` when the process that started it (this one) is gone: no JVM outlives a killed test run. */
function watchdog(pid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 2; done; kill -9 ${pid} 2>/dev/null`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

export interface StartOptions {
  /** 1: the single broker with every listener; 3: a plaintext cluster for leader changes. */
  readonly nodes?: 1 | 3;
  readonly version?: string;
  readonly log?: (line: string) => void;
}

/**
 * Starts the broker(s); a start that fails is tried once more on new ports and folders, saying
 * why on the log: the ports are picked free and bound by the JVM seconds later, and on a shared
 * machine another process can take one in between.
 */
export async function startRealKafka(opts: StartOptions = {}): Promise<RealKafka> {
  try {
    return await startOnce(opts);
  } catch (e) {
    (opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
      `real Kafka: first start failed, trying once more: ${(e as Error).message}`,
    );
    return startOnce(opts);
  }
}

async function startOnce(opts: StartOptions): Promise<RealKafka> {
  const n = opts.nodes ?? 1;
  const version = opts.version ?? kafkaVersion();
  const libs = ensureKafkaJars(version, opts.log);
  const root = mkdtempSync(path.join(os.tmpdir(), `kafka-${version}-`));
  const certs = n === 1 ? makeKafkaCerts(path.join(root, 'certs'), RELAY_USER) : undefined;
  const ports: Ports[] = [];
  for (let i = 0; i < n; i++) {
    const p: Ports = { plaintext: await freePort(), controller: await freePort() };
    if (certs) Object.assign(p, { scram: await freePort(), scramTls: await freePort(), mtls: await freePort() });
    ports.push(p);
  }
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
  const relayPassword = randomBytes(12).toString('hex');
  const id = clusterId();
  const t0 = performance.now();
  const nodes: KafkaNode[] = ports.map((p, i) => {
    const dir = path.join(root, `node-${i + 1}`);
    mkdirSync(dir);
    const props = path.join(dir, 'server.properties');
    writeFileSync(props, serverProperties(i + 1, dir, p, voters, n, certs));
    const scram = `SCRAM-SHA-512=[name=${RELAY_USER},password=${relayPassword}]`;
    execFileSync(
      'java',
      ['-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, '--add-scram', scram],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { id: i + 1, dir, plaintext: `127.0.0.1:${p.plaintext}` };
  });
  const launch = (node: KafkaNode) => {
    const logFile = path.join(node.dir, 'broker.log');
    const out = openLog(logFile);
    const props = path.join(node.dir, 'server.properties');
    node.process = spawn('java', [...JAVA_OPTS, '-cp', `${libs}/*`, 'kafka.Kafka', props], {
      stdio: ['ignore', out, out],
    });
    closeSync(out); // the child has its own copy
    watchdog(node.process.pid ?? 0);
  };
  nodes.forEach(launch);
  const brokers = nodes.map((x) => x.plaintext);
  const admin = new kafkajs.Kafka({
    brokers,
    clientId: 'real-kafka-admin',
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  const stopAll = async (keep = false) => {
    await admin.disconnect().catch(() => undefined);
    await Promise.all(nodes.map((x) => killNode(x, 'SIGTERM')));
    if (!keep) rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitReady(admin, nodes, n);
  } catch (e) {
    const logs = nodes.map(
      (x) => `node ${x.id} (${path.join(x.dir, 'broker.log')}, kept):\n${problems(path.join(x.dir, 'broker.log'))}`,
    );
    await stopAll(true);
    throw new Error(`Kafka ${version} did not start: ${(e as Error).message}\n${logs.join('\n')}`, { cause: e });
  }
  const startupMs = performance.now() - t0;
  const single = (k: keyof Ports) => (n === 1 && ports[0][k] ? [`127.0.0.1:${ports[0][k]}`] : []);
  return {
    version,
    nodes,
    brokers,
    scram: single('scram'),
    scramTls: single('scramTls'),
    mtls: single('mtls'),
    certs,
    relayPassword,
    startupMs,
    createTopic: async (topic, partitions = 3, replicationFactor = n) => {
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor }],
        waitForLeaders: true,
      });
    },
    grantRelay: async (topic, operations = ['Write', 'Describe']) => {
      const codes = { Write: AclOperationTypes.WRITE, Describe: AclOperationTypes.DESCRIBE };
      await admin.createAcls({
        acl: operations
          .map((op) => codes[op])
          .map((operation) => ({
            resourceType: AclResourceTypes.TOPIC,
            resourceName: topic,
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: `User:${RELAY_USER}`,
            host: '*',
            operation,
            permissionType: AclPermissionTypes.ALLOW,
          })),
      });
    },
    records: (topic) =>
      readTopic(
        brokers.filter((_, i) => nodes[i].process),
        topic,
      ),
    leaderOf: async (topic, partition) => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const p = md.topics[0]?.partitions.find((x) => x.partitionId === partition);
      if (p === undefined) throw new Error(`no partition ${partition} in ${topic}`);
      return p.leader;
    },
    kill: async (nodeId) => killNode(nodes[nodeId - 1], 'SIGKILL'),
    rssKb: () => nodes.filter((x) => x.process?.pid).map((x) => rssKbOf(x.process?.pid ?? 0)),
    stop: () => stopAll(),
  };
}

/** A file descriptor the child writes to directly: no pipe for this process to drain. */
const openLog = (file: string): number => openSync(file, 'a');

async function waitReady(admin: Admin, nodes: KafkaNode[], n: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  let last: string;
  for (;;) {
    const dead = nodes.find((x) => x.process?.exitCode != null);
    if (dead) throw new Error(`node ${dead.id} exited with code ${dead.process?.exitCode}`);
    try {
      await admin.connect();
      const c = await admin.describeCluster();
      if (c.brokers.length === n && c.controller !== null) return;
      last = `${c.brokers.length} of ${n} brokers registered`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`not ready in 90 s (${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function killNode(node: KafkaNode, signal: NodeJS.Signals): Promise<void> {
  const child = node.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
  node.process = undefined;
}

function rssKbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
