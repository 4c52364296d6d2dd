/**
 * `run`: the daemon. The first SIGTERM/SIGINT drains (readiness 503 at once, in-flight finished
 * within shutdown.timeoutMs, the rest requeued) and exits 0; a second exits at once with
 * 128 + the signal number, leaving what is unacked to the broker's redelivery.
 */
import { constants } from 'node:os';
import { configWarnings, credentialWarnings, isLoopbackHost, loadConfig, resolveConfigPath } from '../config/load.js';
import { createLogger, type Logger } from '../util/logger.js';
import { Relay } from '../daemon/relay.js';
import { createDmaapDevServer } from '../dmaap-dev/server.js';
import type { CliArgs } from './args.js';
import { storeUrlPassword } from '../store/open.js';
import { kafkaSecrets } from '../publish/kafka/config.js';
import { createAdminServer, type AdminServer } from '../admin/server.js';
import type { RelayControl } from '../daemon/control.js';
import { secretFileOf } from '../config/secret-files.js';

type DevServer = ReturnType<typeof createDmaapDevServer>;

/** Resolves with the exit code once the first signal's shutdown (`stop`) has finished. */
function onSignals(stop: () => Promise<void>, log: Logger, dev: () => DevServer | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (++signals > 1) {
        log.warn('second signal: exiting at once; unacked notifications will be redelivered by the broker', {
          signal: sig,
        });
        process.exit(128 + (constants.signals[sig] ?? 15));
      }
      log.info('signal received; shutting down (a second signal exits at once)', { signal: sig });
      stop()
        .then(() => dev()?.close())
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error('shutdown failed; exiting: unacked notifications will be redelivered by the broker', {
              code: 'INTERNAL',
              reason: (err as Error).message,
            });
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export async function runDaemon(args: CliArgs): Promise<number> {
  const cfg = loadConfig(resolveConfigPath(args.config));
  const log = createLogger({
    level: cfg.log.level,
    format: cfg.log.format,
    secrets: [
      cfg.dmaap.password,
      cfg.admin.authToken,
      cfg.admin.readToken,
      storeUrlPassword(cfg.store.url),
      ...kafkaSecrets(cfg.kafka),
    ],
  });
  for (const warning of [...configWarnings(), ...credentialWarnings(cfg)]) log.warn(warning);
  if (!cfg.admin.authToken && !isLoopbackHost(cfg.admin.host)) {
    log.warn(
      'the admin API takes requests without a token on a non-loopback admin.host (admin.allowUnauthenticated): anyone reaching the port can change the VIMs',
      { host: cfg.admin.host },
    );
  }
  const adminPort = (control: RelayControl): AdminServer =>
    createAdminServer(control, {
      ...cfg.admin,
      tokenFiles: { admin: secretFileOf('admin.authToken'), read: secretFileOf('admin.readToken') },
      logger: log,
    });
  let dev: DevServer | undefined;
  /** `opening`: the relay, once its store is being opened; `signalled`: a signal came. */
  const starting: { opening?: Promise<Relay>; signalled?: true } = {};
  // Before anything starts: a signal during start-up still shuts down in order. One while the
  // store opens stops the relay once it is open; a store that never opened has nothing to close.
  const stopped = onSignals(
    async () => {
      starting.signalled = true;
      const relay = await starting.opening?.catch(() => undefined);
      await relay?.stop();
    },
    log,
    () => dev,
  );
  if (args.withDmaapDev) {
    const u = new URL(cfg.dmaap.url);
    dev = createDmaapDevServer({ host: u.hostname, port: Number(u.port || 3904) });
    log.info('dmaap-dev serving in-process', { url: (await dev.listen()).url });
  }
  if (starting.signalled) return stopped;
  starting.opening = Relay.open(cfg, log, { adminPort, reseed: args.reseed });
  const relay = await starting.opening;
  // A signal came while the store opened: the relay is stopped (above), never started.
  if (!starting.signalled) await relay.start();
  return stopped;
}
