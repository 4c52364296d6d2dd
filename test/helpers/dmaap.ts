/** Reads a topic back through a Message Router's consume API (dmaap-dev in tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN, ROOT } from './daemon.js';
import { waitFor } from './wait.js';

/** Long-polls `GET /events/{topic}/{group}/{id}` until `n` messages came or `timeoutMs` passed. */
export async function consume(
  baseUrl: string,
  topic: string,
  n: number,
  timeoutMs = 20000,
  group = 'tests',
  keep: (m: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) {
    const wait = Math.min(2000, Math.max(1, deadline - Date.now()));
    const res = await fetch(`${baseUrl}/events/${topic}/${group}/c1?timeout=${wait}&limit=4096`);
    if (res.status === 404) {
      await new Promise((r) => setTimeout(r, 100)); // topic not created yet: nothing published
      continue;
    }
    const batch = (await res.json()) as string[];
    for (const s of batch) {
      const m = JSON.parse(s) as Record<string, unknown>;
      if (keep(m)) out.push(m);
    }
  }
  return out;
}

export interface DmaapDevProcess {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** `vim-event-relay dmaap-dev` as a separate process, as a user would run it. */
export async function startDmaapDevProcess(port: number): Promise<DmaapDevProcess> {
  const proc = spawn(process.execPath, [MAIN, 'dmaap-dev', '--port', String(port)], { cwd: ROOT });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  await waitFor(() => out.includes('listening'), `dmaap-dev to listen on ${port} (${out})`, 15000);
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
