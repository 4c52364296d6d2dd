/**
 * Restarting the local RabbitMQ application (rabbitmqctl stop_app / start_app) for fault tests.
 * Everyone's tests share this broker, so:
 * - restarts are serialised across processes by a lock directory (jest --runInBand already
 *   serialises them within one run; this covers two runs at once);
 * - the broker is only handed back once it is fully up: `await_startup`, the 5672 listener,
 *   an AMQP 0-9-1 login and an AMQP 1.0 (amqp1_0 plugin) open on the same port.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import rhea from 'rhea';
import { amqpUrl } from './amqp.js';
import { sleep, waitFor } from './wait.js';

const run = promisify(execFile);
const LOCK = path.join(tmpdir(), 'vim-event-relay-rabbitmq-restart.lock');

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 120000 });
  return stdout;
}

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(path.join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the cross-process restart lock (a stale one, left by a dead process, is broken). */
async function lock(): Promise<() => void> {
  await waitFor(
    () => {
      try {
        mkdirSync(LOCK);
        writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
        return true;
      } catch {
        if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
        return false;
      }
    },
    'the RabbitMQ restart lock',
    180000,
    250,
  );
  return () => rmSync(LOCK, { recursive: true, force: true });
}

/** Opens and closes an AMQP 1.0 connection on 5672: the amqp1_0 plugin is listening. */
function amqp10Opens(): Promise<boolean> {
  const u = new URL(amqpUrl());
  return new Promise<boolean>((resolve) => {
    const container = rhea.create_container();
    const conn = container.connect({
      host: u.hostname,
      port: Number(u.port || 5672),
      username: decodeURIComponent(u.username || 'guest'),
      password: decodeURIComponent(u.password || 'guest'),
      reconnect: false,
      idle_time_out: 5000,
    });
    const timer = setTimeout(() => finish(false), 5000);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      conn.removeAllListeners();
      conn.on('error', () => undefined);
      conn.on('disconnected', () => undefined);
      if (conn.is_open()) conn.close();
      resolve(ok);
    };
    conn.once('connection_open', () => finish(true));
    conn.once('connection_error', () => finish(false));
    conn.once('disconnected', () => finish(false));
  });
}

async function amqp091Opens(): Promise<boolean> {
  const model = await connect(amqpUrl());
  model.on('error', () => undefined);
  await model.close();
  return true;
}

/** Resolves once the broker is fully back, for everyone's tests: see the file comment. */
export async function awaitBrokerUp(): Promise<void> {
  await rabbitmqctl('await_startup', '--timeout', '120');
  await waitFor(
    async () => {
      await run('rabbitmq-diagnostics', ['-q', 'check_port_listener', '5672'], { timeout: 30000 });
      return true;
    },
    'the 5672 listener',
    60000,
    250,
  );
  await waitFor(amqp091Opens, 'an AMQP 0-9-1 login', 60000, 250);
  await waitFor(amqp10Opens, 'an AMQP 1.0 open (amqp1_0 plugin)', 60000, 250);
}

export interface BrokerRestart {
  /** Epoch ms just before start_app ran, and when the command returned. */
  readonly startAppInvokedAt: number;
  readonly startAppReturnedAt: number;
}

/**
 * stop_app, then `whileDown` (assert what an outage looks like; keep it short: everyone's tests
 * fail meanwhile), then start_app and wait until the broker is fully up. start_app runs even when
 * `whileDown` throws; its error is rethrown afterwards.
 */
export async function restartRabbitApp(whileDown: () => Promise<void>): Promise<BrokerRestart> {
  const unlock = await lock();
  try {
    await rabbitmqctl('stop_app');
    let failure: unknown;
    try {
      await whileDown();
    } catch (e) {
      failure = e;
    }
    const startAppInvokedAt = Date.now();
    await startApp();
    const startAppReturnedAt = Date.now();
    await awaitBrokerUp();
    if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
    return { startAppInvokedAt, startAppReturnedAt };
  } finally {
    unlock();
  }
}

async function startApp(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rabbitmqctl('start_app');
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      await sleep(1000);
    }
  }
}

/** Runs `fn` holding the cross-process broker lock (for anything that disturbs the whole broker). */
export async function withBrokerLock<T>(fn: () => Promise<T>): Promise<T> {
  const release = await lock();
  try {
    return await fn();
  } finally {
    release();
  }
}
