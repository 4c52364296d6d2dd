/**
 * Starts the admin server on 127.0.0.1 (a free port) over the daemon's real ControlPlane: a
 * real VimCatalogue and Pipeline over a FileStore in a temp dir, the real VES agent registry and
 * MetricsObserver. Only the edges are scripted: each VIM's listener (through the catalogue's
 * listenerFactory, so no broker is needed and a test can report a status or hand over a
 * notification) and the DMaaP destination (whose health a test can set).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createAdminServer, type AdminServer, type AdminServerOptions } from '../../../src/admin/server.js';
import type { VimConfig } from '../../../src/config/vim.js';
import { ControlPlane } from '../../../src/daemon/control-plane.js';
import type { ReadinessMode } from '../../../src/config/load.js';
import { MetricsObserver } from '../../../src/daemon/observer.js';
import { DecisionLog } from '../../../src/daemon/decisions.js';
import { OpsControl } from '../../../src/daemon/ops-control.js';
import { DEFAULT_RENDER } from '../../../src/steps/render.js';
import { VimCatalogue } from '../../../src/daemon/vim-catalogue.js';
import { FileStore } from '../../../src/store/file-store.js';
import type { RelayStore } from '../../../src/store/store.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import { createLogger, type Logger } from '../../../src/util/logger.js';
import { VesAgentRegistry } from '../../../src/ves/agents.js';
import { dmaapPipeline, ScriptedDestination } from '../../helpers/scripted-destination.js';
import { ScriptedListener } from '../../helpers/scripted-listener.js';

/** check_vim_status window per VIM, as recent.windowSize. */
export const WINDOW = 100;

export interface Harness {
  readonly url: string;
  readonly control: ControlPlane;
  readonly catalogue: VimCatalogue;
  readonly store: RelayStore;
  readonly observer: MetricsObserver;
  readonly dmaap: ScriptedDestination;
  readonly server: AdminServer;
  /** Every listener the catalogue started, in order. */
  readonly listeners: readonly ScriptedListener[];
  /** The listener of VIM `vimId` started last; throws when it has none. */
  listener(vimId: string): ScriptedListener;
  /** Everything the server and the daemon's parts logged, one JSON line each. */
  readonly logLines: () => string[];
  close(): Promise<void>;
}

export async function startAdmin(
  opts: {
    authToken?: string;
    bodyLimitBytes?: number;
    server?: Partial<Omit<AdminServerOptions, 'logger'>>;
    readiness?: ReadinessMode;
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-harness-'));
  const stream = new PassThrough();
  let log = '';
  stream.on('data', (b: Buffer) => (log += b.toString()));
  const logger: Logger = createLogger({ level: 'debug', format: 'json', stream });
  const { store } = await FileStore.open(join(dir, 'state.json'), { vims: [], subscriptions: [] }, WINDOW);
  const observer = new MetricsObserver();
  const dmaap = new ScriptedDestination();
  observer.watchDestinations([dmaap]);
  const decisions = new DecisionLog(logger);
  const pipeline = dmaapPipeline(store, dmaap, { observer, logger, decisions });
  const listeners: ScriptedListener[] = [];
  const catalogue = new VimCatalogue(
    store,
    pipeline,
    {
      transport: DEFAULT_TRANSPORT_OPTIONS,
      dedupeWindow: 100,
      drainTimeoutMs: 1000,
      defaultSink: 'dmaap',
      sinks: new Set(['dmaap']),
      shareRecent: (vimId, change) => store.pushRecent(vimId, change),
      listenerFactory: (vim: VimConfig) => {
        const l = new ScriptedListener(vim);
        listeners.push(l);
        return l;
      },
    },
    observer,
    logger,
  );
  const control = new ControlPlane({
    catalogue,
    store,
    vesAgents: new VesAgentRegistry(store),
    metrics: observer.registry,
    destinations: [dmaap],
    ...(opts.readiness ? { readiness: opts.readiness } : {}),
    ops: new OpsControl({
      store,
      decisions,
      defaultSink: 'dmaap',
      render: DEFAULT_RENDER,
      lastConsumedAt: (vim) => observer.lastConsumedAt(vim),
      vim: (id) => catalogue.vim(id)?.vim,
      transport: DEFAULT_TRANSPORT_OPTIONS,
      logger,
    }),
  });
  // As the Relay does once its store is open and its listeners started (none here yet).
  control.markStarted();
  const server = createAdminServer(control, {
    host: '127.0.0.1',
    port: 0,
    authToken: opts.authToken ?? '',
    ...(opts.bodyLimitBytes !== undefined ? { bodyLimitBytes: opts.bodyLimitBytes } : {}),
    ...opts.server,
    logger,
  });
  const { url } = await server.listen();
  const listener = (vimId: string): ScriptedListener => {
    const l = listeners.filter((x) => x.vimId === vimId).at(-1);
    if (!l) throw new Error(`no listener was started for VIM ${vimId}`);
    return l;
  };
  return {
    url,
    control,
    catalogue,
    store,
    observer,
    dmaap,
    server,
    listeners,
    listener,
    logLines: () => log.split('\n').filter(Boolean),
    async close() {
      await server.close();
      await catalogue.closeAll();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** fetch with a JSON body (unless `raw` is given) and the answer read in full. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: {
    body?: unknown;
    raw?: string | Buffer;
    contentType?: string;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | Buffer | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const VIM = { transportUrl: 'rabbit://nova:s3cretPass@10.0.0.5:5672,nova:s3cretPass@10.0.0.6:5672/nova' };
