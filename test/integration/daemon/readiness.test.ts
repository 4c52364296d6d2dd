/**
 * Readiness of the built daemon when a VIM's broker accepts TCP and never answers (a hung host):
 * the process is ready (admin.readiness "process", the default), strict readiness and
 * GET /api/v1/status name the VIM, and admin.readiness "strict" keeps the older meaning.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort, spawnDaemon, stopDaemon, type SpawnedDaemon } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

let hung: Server;
const sockets = new Set<Socket>();
let hungPort: number;
const daemons: SpawnedDaemon[] = [];

beforeAll(async () => {
  // Takes the connection and says nothing: no AMQP header ever comes back.
  hung = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  hungPort = (hung.address() as { port: number }).port;
});

afterAll(async () => {
  for (const d of daemons) expect(await stopDaemon(d)).toBe(0);
  for (const s of sockets) s.destroy();
  await new Promise((r) => hung.close(r));
});

async function start(env: NodeJS.ProcessEnv = {}): Promise<SpawnedDaemon> {
  const d = await spawnDaemon(
    {
      dmaap: { url: `http://127.0.0.1:${await freePort()}` },
      vims: [{ id: 'hung-1', transportUrl: `rabbit://guest:guest@127.0.0.1:${hungPort}/` }],
      subscriptions: [{ id: 's-hung', vimId: 'hung-1', states: ['*'], topic: 'T_HUNG' }],
    },
    { env },
  );
  daemons.push(d);
  return d;
}

const get = async (d: SpawnedDaemon, path: string) => {
  const r = await fetch(`${d.adminUrl}${path}`);
  return { status: r.status, json: (await r.json()) as { status: string; reasons: string[]; ready?: boolean } };
};

it('is ready with one VIM whose broker never answers; strict readiness and /api/v1/status name the VIM', async () => {
  const d = await start();
  // The hung broker has taken the connection: the VIM is trying, not yet reachable.
  await waitFor(() => sockets.size > 0, 'the relay connected to the hung broker');
  expect(await get(d, '/readyz')).toEqual({
    status: 200,
    json: {
      status: 'ready',
      reasons: [],
      degraded: [expect.stringMatching(/^vim hung-1: (PENDING|UNREACHABLE) since /)],
    },
  });
  const strict = await get(d, '/readyz?strict=1');
  expect(strict.status).toBe(503);
  expect(strict.json.reasons).toEqual([expect.stringMatching(/^vim hung-1: (PENDING|UNREACHABLE) since /)]);
  const status = await get(d, '/api/v1/status');
  expect(status).toMatchObject({ status: 200, json: { status: 'degraded', ready: true } });
  expect(status.json.reasons).toEqual(strict.json.reasons);
}, 30_000);

it('with admin.readiness "strict" (VIM_EVENT_RELAY_ADMIN_READINESS) the same daemon is not ready', async () => {
  const d = await start({ VIM_EVENT_RELAY_ADMIN_READINESS: 'strict' });
  const r = await get(d, '/readyz');
  expect(r.status).toBe(503);
  expect(r.json.reasons).toEqual([expect.stringMatching(/^vim hung-1: /)]);
}, 30_000);
