/**
 * A signal while the built daemon opens its store (PostgreSQL behind a gate that holds new
 * connections): the daemon lets the store finish opening, then stops without listening on the
 * admin port and exits 0; a store that never opens still ends the run with its error, exit 1.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, MAIN, ROOT, tempDir } from '../../helpers/daemon.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/wait.js';

interface Gate {
  readonly port: number;
  /** Connections held so far. */
  held(): number;
  /** Pipes the held connections, and every later one, to PostgreSQL. */
  release(): void;
  close(): Promise<void>;
}

async function gate(): Promise<Gate> {
  const held: net.Socket[] = [];
  const sockets = new Set<net.Socket>();
  let open = false;
  const pipe = (client: net.Socket) => {
    const upstream = net.connect(5432, '127.0.0.1');
    sockets.add(upstream);
    for (const s of [client, upstream]) s.on('error', () => undefined).on('close', () => sockets.delete(s));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
    client.resume();
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.pause();
    if (open) pipe(client);
    else held.push(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => held.length,
    release: () => {
      open = true;
      for (const c of held.splice(0)) pipe(c);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let db: TestDatabase;
let g: Gate;

beforeEach(async () => {
  db = await createTestDatabase();
  g = await gate();
});

afterEach(async () => {
  await g.close();
  await db.drop();
});

/** Runs the daemon over the gated store; SIGTERM once it is opening the store. */
async function runSignalledWhileOpening(timeoutMs: number, afterSignal: () => void) {
  const dir = tempDir();
  const configFile = path.join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      admin: { host: '127.0.0.1', port: 0 },
      dmaap: { url: `http://127.0.0.1:${await freePort()}` },
      store: { url: db.urlVia(g.port), timeoutMs },
      log: { level: 'info', format: 'json' },
      vims: [],
      subscriptions: [],
    }),
  );
  const proc = spawn(process.execPath, [MAIN, 'run', '--config', configFile], { cwd: ROOT });
  let output = '';
  proc.stdout.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | string>((r) => proc.on('exit', (c, s) => r(c ?? s ?? -1)));
  // Connecting to the store: the signal handlers are in place.
  await waitFor(() => g.held() > 0, 'the daemon to connect to its store', 20_000);
  proc.kill('SIGTERM');
  await waitFor(() => output.includes('signal received'), 'the signal to be heard');
  afterSignal();
  const code = await exited;
  const messages = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { message: string }).message);
  return { code, output, messages };
}

it('SIGTERM while the store opens: the store finishes opening and is closed, nothing listens, exit 0', async () => {
  const r = await runSignalledWhileOpening(15_000, () => g.release());
  expect(r.code).toBe(0);
  expect(r.messages).not.toContain('admin port listening');
  const seeded = r.messages.indexOf('store seeded from the config file');
  expect(seeded).toBeGreaterThan(r.messages.indexOf('signal received; shutting down (a second signal exits at once)'));
  // stop() closes the store before it logs 'stopped'.
  expect(r.messages.indexOf('stopped')).toBeGreaterThan(seeded);
  expect(r.messages).not.toContain('store did not close cleanly');
});

it('SIGTERM while a store that never answers opens: its error, exit 1, nothing listens', async () => {
  const r = await runSignalledWhileOpening(1000, () => undefined);
  expect(r.code).toBe(1);
  expect(r.output).toMatch(/cannot open the PostgreSQL store/);
  expect(r.messages).not.toContain('admin port listening');
});
