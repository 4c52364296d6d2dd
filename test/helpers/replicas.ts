/**
 * Several built daemons as replicas of one relay: one PostgreSQL database (store.url), one VIM,
 * one queue they compete on. Also the admin API calls, the metrics they read, a steady
 * publisher, and stopping/starting the local PostgreSQL cluster for outage tests.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { publishOslo, rabbitUrl, withChannel } from './amqp.js';
import { spawnDaemon, type SpawnedDaemon } from './daemon.js';
import { expandVersioned, toWireV2 } from './fixtures.js';
import { sleep, waitFor } from './wait.js';

const run = promisify(execFile);

export interface ReplicaSetup {
  readonly storeUrl: string;
  readonly dmaapUrl: string;
  readonly vimId: string;
  readonly exchange: string;
  readonly topic: string;
  readonly vim?: Record<string, unknown>;
  readonly prefetch?: number;
}

/** One replica's config: the shared store, fast retries and reconnects, a short shutdown. */
export function replicaConfig(s: ReplicaSetup): Record<string, unknown> {
  return {
    dmaap: { url: s.dmaapUrl, timeoutMs: 2000 },
    publish: { retryInitialMs: 50, retryMaxMs: 300 },
    transport: { prefetch: s.prefetch ?? 10, reconnectInitialMs: 50, reconnectMaxMs: 400 },
    store: { url: s.storeUrl, reconcileMs: 1000, timeoutMs: 2000 },
    shutdown: { timeoutMs: 2000 },
    vims: [{ id: s.vimId, transportUrl: rabbitUrl(), exchange: s.exchange, ...s.vim }],
    subscriptions: [{ id: `${s.vimId}-all`, vimId: s.vimId, states: ['*'], topic: s.topic }],
  };
}

/** The first replica seeds the database alone; the others start together once it has. */
export async function startReplicas(n: number, s: ReplicaSetup): Promise<SpawnedDaemon[]> {
  const first = await spawnDaemon(replicaConfig(s));
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => spawnDaemon(replicaConfig(s))));
  const all = [first, ...rest];
  for (const d of all)
    await waitFor(
      async () => (await api(d, 'GET', `/api/v1/vims/${s.vimId}`)).body?.status === 'REACHABLE',
      `the VIM reachable in ${d.adminUrl}`,
      20000,
    );
  return all;
}

export async function api(
  d: SpawnedDaemon,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${d.adminUrl}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (metrics): kept as text
  }
  return { status: res.status, body: parsed };
}

export async function readyz(d: SpawnedDaemon): Promise<{ status: number; reasons: string[] }> {
  const r = await api(d, 'GET', '/readyz?strict=1');
  return { status: r.status, reasons: (r.body?.reasons as string[] | undefined) ?? [] };
}

/** notifications_consumed_total of the VIM in one replica (0 before its first). */
export async function consumed(d: SpawnedDaemon, vimId: string): Promise<number> {
  const text = String((await api(d, 'GET', '/metrics')).body);
  const m = new RegExp(`notifications_consumed_total\\{vim="${vimId}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

/** A power_off.end as nova's messagingv2 notifier sends it, its instance uuid unique to `id`. */
export function powerOff(id: string): Record<string, unknown> {
  const sample = expandVersioned('instance-power_off-end.json');
  const data = sample.payload['nova_object.data'] as Record<string, unknown>;
  sample.payload = {
    ...sample.payload,
    'nova_object.data': {
      ...data,
      uuid: `00000000-0000-4000-8000-${id.replace(/\D/g, '').padStart(12, '0').slice(-12)}`,
    },
  };
  return toWireV2(sample, { messageId: id });
}

/** Publishes `ids` in ticks of `perTick` every `tickMs` (a steady rate); `onTick` sees how many went. */
export async function publishSteady(
  exchange: string,
  ids: readonly string[],
  perTick: number,
  tickMs: number,
  onTick: (sent: number) => void = () => undefined,
): Promise<void> {
  await withChannel(async (ch) => {
    for (let i = 0; i < ids.length; i += perTick) {
      for (const id of ids.slice(i, i + perTick))
        publishOslo(ch, exchange, 'versioned_notifications.info', powerOff(id));
      await ch.waitForConfirms();
      onTick(Math.min(ids.length, i + perTick));
      await sleep(tickMs);
    }
  });
}

/** message_id of each accepted message (JSON text as the fault server keeps it). */
export function messageIds(accepted: readonly string[]): string[] {
  return accepted.map((m) => String((JSON.parse(m) as { message_id: unknown }).message_id));
}

function cluster(): string {
  const versions = readdirSync('/etc/postgresql');
  if (versions.length !== 1)
    throw new Error(`expected one PostgreSQL version under /etc/postgresql, found ${versions.join(', ')}`);
  return versions[0];
}

/** pg_ctlcluster stop|start of the local cluster (not through systemd: there is none here). */
export async function pgCtl(action: 'stop' | 'start'): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster(), 'main', action], { timeout: 60000 });
}

/** Resolves once PostgreSQL accepts a login again. */
export async function awaitPostgres(timeoutMs = 60000): Promise<void> {
  await waitFor(
    async () => {
      const c = new pg.Client({
        connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
        connectionTimeoutMillis: 1000,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.query('SELECT 1');
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    'PostgreSQL to accept logins',
    timeoutMs,
    100,
  );
}
