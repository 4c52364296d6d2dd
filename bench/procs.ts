/**
 * Child processes of the bench: the sink, dmaap-dev and the relay itself (the built
 * dist/main.js, spawned as test/helpers/daemon.ts does), plus what /proc says about them.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/bench/bench/). */
export const ROOT = path.resolve(HERE, '../../..');
/** The relay under test: this checkout's build, or another build's main.js to compare (BENCH_RELAY_MAIN). */
export const MAIN = process.env.BENCH_RELAY_MAIN
  ? path.resolve(process.env.BENCH_RELAY_MAIN)
  : path.join(ROOT, 'dist/main.js');

export interface Sink {
  readonly url: string;
  ask<T>(msg: object): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The relay's Node flags: as the Dockerfile, the systemd unit and `npm start` run it (one GC
 * thread, docs/performance.md), or BENCH_RELAY_NODE_FLAGS instead ("" = Node's defaults).
 */
export function relayNodeFlags(): string[] {
  return (process.env.BENCH_RELAY_NODE_FLAGS ?? '--single-threaded-gc').split(/\s+/).filter(Boolean);
}

export async function startSink(): Promise<Sink> {
  const proc = fork(path.join(HERE, 'sink.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { port: number }) => resolve(m.port));
    proc.once('exit', (c) => reject(new Error(`sink exited (${c}) before listening`)));
  });
  // One question at a time, answered in order.
  let chain: Promise<unknown> = Promise.resolve();
  const ask = <T>(msg: object): Promise<T> => {
    const next = chain.then(
      () =>
        new Promise<T>((resolve) => {
          proc.once('message', (m: T) => resolve(m));
          proc.send(msg);
        }),
    );
    chain = next.catch(() => undefined);
    return next;
  };
  return { url: `http://127.0.0.1:${port}`, ask, stop: () => stopChild(proc) };
}

export async function stopChild(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startDmaapDev(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist/main.js'), 'dmaap-dev', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const take = (b: Buffer): void => {
      out += b.toString();
      if (out.includes('listening')) resolve();
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.once('exit', (c) => reject(new Error(`dmaap-dev exited (${c}): ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(proc) };
}

export interface Relay {
  readonly proc: ChildProcess;
  /** Epoch ms of the relay's own "consuming" log line. */
  readonly consumingAt: number;
  /** Its admin port (logged before any listener consumes). */
  readonly adminUrl: string;
  readonly spawnedAt: number;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns dist/main.js with `config`; resolves once its listener logs "consuming". */
export async function startRelay(config: Record<string, unknown>, cpuProfDir?: string): Promise<Relay> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ver-bench-'));
  const cfg = {
    admin: { host: '127.0.0.1', port: 0 },
    store: { path: path.join(dir, 'state.json') },
    log: { level: 'info', format: 'json' },
    ...config,
  };
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(cfg));
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const flags = relayNodeFlags();
  const spawnedAt = Date.now();
  const proc = spawn(process.execPath, [...flags, ...prof, MAIN, 'run', '--config', file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  let consuming = false;
  const consumingAt = await new Promise<number>((resolve, reject) => {
    const take = (b: Buffer): void => {
      raw += b.toString();
      // Searched only until found: a long run (the outage bench) keeps writing.
      if (consuming) return;
      const line = raw.split('\n').find((l) => l.includes('"message":"consuming"'));
      if (!line) return;
      consuming = true;
      resolve(Date.parse((JSON.parse(line) as { timestamp: string }).timestamp));
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.once('exit', (c) => reject(new Error(`relay exited (${c}) before consuming:\n${raw}`)));
    setTimeout(() => reject(new Error(`relay not consuming after 30 s:\n${raw}`)), 30_000).unref();
  });
  const adminUrl = /"message":"admin port listening".*?"url":"([^"]+)"/.exec(raw)?.[1] ?? '';
  return {
    proc,
    consumingAt,
    spawnedAt,
    adminUrl,
    output: () => raw,
    stop: async () => {
      await stopChild(proc);
      rmSync(dir, { recursive: true, force: true });
      // For debugging a run: everything the relay wrote, appended here.
      if (process.env.BENCH_RELAY_LOG) appendFileSync(process.env.BENCH_RELAY_LOG, raw);
    },
  };
}

const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * Starts measuring a process's CPU; the function returned gives the CPU seconds used since, in
 * all (`total`) and on its main thread alone (`main`: its JavaScript, and whatever GC work V8
 * does there; the rest is its other threads: V8's GC and compiler helpers, libuv's pool).
 */
export function cpuSince(pid: number): () => { total: number; main: number } {
  const mainStat = `/proc/${pid}/task/${pid}/stat`;
  const total0 = cpuSeconds(pid);
  const main0 = statCpuSeconds(mainStat);
  return () => ({ total: cpuSeconds(pid) - total0, main: statCpuSeconds(mainStat) - main0 });
}

/** What the whole machine did over a span: its busy share of all cores, and the local broker's CPU. */
export interface MachineSpan {
  /** Busy time of all cores over the span / (cores x span), 0..1. */
  readonly busyShare: number;
  readonly cores: number;
  /** Wall-clock seconds of the span. */
  readonly seconds: number;
  /** CPU seconds of the local RabbitMQ (every beam.smp process); NaN when none runs on this machine. */
  readonly brokerSeconds: number;
}

/**
 * Starts measuring the machine (/proc/stat) and the local broker (RabbitMQ's beam.smp, found by
 * name: the bench's broker is this machine's own unless AMQP_URL points elsewhere, and then
 * there is none to find). What the relay may spend per notification is bounded by what is left
 * of the cores once the broker has done its share (docs/performance.md).
 */
export function machineSince(): () => MachineSpan {
  const brokers = brokerPids();
  const broker = (): number =>
    brokers.length === 0 ? NaN : brokers.reduce((sum, pid) => sum + (tryCpuSeconds(pid) ?? 0), 0);
  const m0 = machineJiffies();
  const b0 = broker();
  const t0 = performance.now();
  return () => {
    const m = machineJiffies();
    const busy = m.busy - m0.busy;
    const all = busy + (m.idle - m0.idle);
    return {
      busyShare: all > 0 ? busy / all : NaN,
      cores: m.cores,
      seconds: (performance.now() - t0) / 1000,
      brokerSeconds: broker() - b0,
    };
  };
}

/** CPU microseconds per item that the machine spent outside `pid` over the span (the broker, the sink, the bench). */
export function othersUsPer(span: MachineSpan, ownSeconds: number, items: number): number {
  return ((span.busyShare * span.cores * span.seconds - ownSeconds) / items) * 1e6;
}

function machineJiffies(): { busy: number; idle: number; cores: number } {
  const stat = readFileSync('/proc/stat', 'utf8');
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return { busy, idle, cores: (stat.match(/^cpu\d+ /gm) ?? []).length };
}

function brokerPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function tryCpuSeconds(pid: number): number | undefined {
  try {
    return cpuSeconds(pid);
  } catch {
    return undefined;
  }
}

function statCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Peak resident set size (VmHWM) of a process so far, MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
