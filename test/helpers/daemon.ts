/**
 * Spawns the BUILT daemon (dist/main.js, as a user runs it) with a config file in a temp dir,
 * reads its JSON log lines, and learns its admin URL from the "admin port listening" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { waitFor } from './wait.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/main.js');

export interface LogLine {
  level: string;
  message: string;
  [k: string]: unknown;
}

export interface SpawnedDaemon {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly configFile: string;
  adminUrl: string;
  readonly lines: LogLine[];
  /** Everything the process wrote (stdout + stderr), raw. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  signal(sig: NodeJS.Signals): void;
}

export function tempDir(prefix = 'ver-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Run a CLI command to completion: {code, stdout, stderr}. */
export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number>((resolve) => proc.on('exit', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** Start the daemon with `config` (store.path defaults into the temp dir; admin port 0). */
export async function spawnDaemon(
  config: Record<string, unknown>,
  opts: { dir?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<SpawnedDaemon> {
  const dir = opts.dir ?? tempDir();
  const cfg = {
    admin: { host: '127.0.0.1', port: 0 },
    store: { path: path.join(dir, 'state.json') },
    log: { level: 'info', format: 'json' },
    ...config,
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(cfg, null, 2));
  const proc = spawn(process.execPath, [MAIN, 'run', '--config', configFile, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
  });
  let raw = '';
  let partial = '';
  const lines: LogLine[] = [];
  const take = (b: Buffer) => {
    raw += b.toString();
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        // not a log line (e.g. a crash trace); kept in raw output
      }
    }
  };
  proc.stdout.on('data', take);
  proc.stderr.on('data', take);
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (c, s) => resolve(c ?? s ?? -1)));
  const d: SpawnedDaemon = {
    proc,
    dir,
    configFile,
    adminUrl: '',
    lines,
    output: () => raw,
    exited,
    signal: (sig) => proc.kill(sig),
  };
  const listening = await Promise.race([
    waitFor(() => lines.find((l) => l.message === 'admin port listening'), 'the daemon to listen', 20000),
    exited.then((c) => {
      throw new Error(`daemon exited (${c}) before listening:\n${raw}`);
    }),
  ]);
  d.adminUrl = String(listening.url);
  return d;
}

/** SIGTERM and wait for the exit code; SIGKILL if it takes longer than `ms`. */
export async function stopDaemon(d: SpawnedDaemon, ms = 20000): Promise<number | string> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return d.exited;
  d.signal('SIGTERM');
  const t = setTimeout(() => d.signal('SIGKILL'), ms);
  const code = await d.exited;
  clearTimeout(t);
  return code;
}
