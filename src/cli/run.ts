/** `run`: the daemon. First SIGTERM/SIGINT drains and exits 0; a second exits at once. */
import { loadConfig, resolveConfigPath } from '../config/load.js';
import { createLogger } from '../util/logger.js';
import { Relay } from '../daemon/relay.js';
import { createDmaapDevServer } from '../dmaap-dev/server.js';
import type { CliArgs } from './args.js';

export async function runDaemon(args: CliArgs): Promise<number> {
  const cfg = loadConfig(resolveConfigPath(args.config));
  const log = createLogger({ level: cfg.log.level, format: cfg.log.format, secrets: [cfg.dmaap.password, cfg.admin.authToken] });
  let dev: ReturnType<typeof createDmaapDevServer> | undefined;
  if (args.withDmaapDev) {
    const u = new URL(cfg.dmaap.url);
    dev = createDmaapDevServer({ host: u.hostname, port: Number(u.port || 3904) });
    log.info('dmaap-dev serving in-process', { url: (await dev.listen()).url });
  }
  const relay = new Relay(cfg, log);
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn('second signal: exiting at once; unacked notifications will be redelivered', { signal: sig });
        process.exit(130);
      }
      log.info('signal received', { signal: sig });
      void relay.stop().then(() => dev?.close()).then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await relay.start();
  await stopped;
  return 0;
}
