/**
 * A Kafka cluster for tests: librdkafka's mock cluster (test/kafka-mock/mock-cluster.c), built with
 * gcc on first use into test/kafka-mock/build/ (named by the source's hash, so an edited .c is
 * rebuilt), started as a child process and driven on its stdin. Records are read back with
 * librdkafka's own consumer (the `dump` command), a client independent of the one under test.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const SOURCE = path.resolve('test/kafka-mock/mock-cluster.c');
const BUILD_DIR = path.resolve('test/kafka-mock/build');
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

/** Kafka protocol ApiKeys and error codes the tests inject. */
export const API = { Produce: 0, Metadata: 3 } as const;
export const KERR = {
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  NOT_ENOUGH_REPLICAS: 19,
  TOPIC_AUTHORIZATION_FAILED: 29,
  INVALID_RECORD: 87,
} as const;

export interface DumpedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key?: Buffer;
  readonly value: Buffer;
  readonly headers: Record<string, Buffer>;
}

export function buildMockCluster(): string {
  if (!existsSync(HEADER)) {
    throw new Error(
      `${HEADER} is missing: install librdkafka-dev and gcc (apt-get install -y librdkafka-dev gcc; .ci/run does it)`,
    );
  }
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const binary = path.join(BUILD_DIR, `mock-cluster-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  execFileSync('gcc', ['-O1', '-Wall', '-o', tmp, SOURCE, '-lrdkafka'], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, binary); // atomic: a parallel run sees the whole binary or none
  return binary;
}

export class MockKafka {
  private readonly answers: string[] = [];
  private waiter?: () => void;
  private exited = false;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly bootstrap: string,
  ) {}

  static async start(brokers = 3): Promise<MockKafka> {
    const child = spawn(buildMockCluster(), [String(brokers)], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.resume(); // librdkafka's own log lines; not needed, but must not fill the pipe
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`mock cluster exited (${code}) before it was ready`)));
    });
    const m = /^ready (\S+)$/.exec(first);
    if (!m) throw new Error(`mock cluster said "${first}", not "ready <bootstraps>"`);
    const mock = new MockKafka(child, m[1]);
    lines.on('line', (line) => mock.onLine(line));
    child.once('exit', () => {
      mock.exited = true;
      mock.waiter?.();
    });
    return mock;
  }

  get brokers(): string[] {
    return this.bootstrap.split(',');
  }

  private onLine(line: string): void {
    this.answers.push(line);
    this.waiter?.();
  }

  private async nextLine(): Promise<string> {
    while (this.answers.length === 0) {
      if (this.exited) throw new Error('mock cluster exited');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.answers.shift() as string;
  }

  private commands: Promise<unknown> = Promise.resolve();

  /** Send one command; resolves with its answer lines (the last is "ok ..."), throws on "error ...". */
  command(cmd: string): Promise<string[]> {
    const run = async (): Promise<string[]> => {
      this.child.stdin.write(`${cmd}\n`);
      const out: string[] = [];
      for (;;) {
        const line = await this.nextLine();
        out.push(line);
        if (line.startsWith('error')) throw new Error(`mock cluster: ${cmd}: ${line}`);
        if (line === 'ok' || line.startsWith('ok ')) return out;
      }
    };
    const p = this.commands.then(run, run);
    this.commands = p.catch(() => undefined);
    return p;
  }

  createTopic(topic: string, partitions = 3, replicas = 1): Promise<string[]> {
    return this.command(`topic-create ${topic} ${partitions} ${replicas}`);
  }

  /** The next `count` requests of `apiKey` (any broker) fail with Kafka error `code`. */
  failRequests(apiKey: number, code: number, count = 1): Promise<string[]> {
    return this.command(`err ${apiKey} ${code} ${count}`);
  }

  async dump(topic: string): Promise<DumpedRecord[]> {
    const lines = await this.command(`dump ${topic}`);
    return lines.filter((l) => l.startsWith('rec ')).map(parseRecord);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

const unhex = (h: string): Buffer => (h === '.' ? Buffer.alloc(0) : Buffer.from(h, 'hex'));

function parseRecord(line: string): DumpedRecord {
  const [, partition, offset, key, value, ...headers] = line.split(' ');
  return {
    partition: Number(partition),
    offset: Number(offset),
    key: key === '-' ? undefined : unhex(key),
    value: unhex(value),
    headers: Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf('=')), unhex(h.slice(h.indexOf('=') + 1))])),
  };
}
