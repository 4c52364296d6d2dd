/**
 * What the admin port reads again while it runs: its certificate, key and client CA (a
 * cert-manager renewal), and its token files (a rotated Secret). Both through watchFiles; a set
 * of files that cannot be used yet (half-written, mismatched) keeps what is in force and says
 * so once per change, and the next change is tried again.
 */
import type { Server as HttpsServer } from 'node:https';
import type { SecretFile } from '../config/secret-files.js';
import type { Logger } from '../util/logger.js';
import { watchFiles, type FileWatcher } from '../util/watch-files.js';
import type { Role, Tokens } from './auth.js';
import { readTlsMaterial, tlsFiles, type AdminTlsConfig } from '../config/admin-tls.js';

/** How often the files are read regardless of file-system events (ms): a missed event costs at most this. */
export const DEFAULT_RELOAD_CHECK_MS = 10_000;

export async function watchCertificate(
  server: HttpsServer,
  tls: AdminTlsConfig,
  logger: Logger,
  intervalMs: number,
): Promise<FileWatcher> {
  return watchFiles(
    tlsFiles(tls),
    () => {
      const { material, problems } = readTlsMaterial(tls);
      if (!material) {
        logger.warn('admin TLS files changed but cannot be used yet; the previous certificate stays in force', {
          code: 'CONFIG_INVALID',
          problems,
        });
        return;
      }
      // New handshakes get the new context; connections already open keep theirs.
      server.setSecureContext(material.options);
      logger.info('admin TLS certificate reloaded', material.summary);
    },
    { intervalMs, onError: (e) => logger.warn('admin TLS file watch failed', { error: (e as Error).message }) },
  );
}

export async function watchTokenFile(
  role: Role,
  source: SecretFile,
  tokens: Tokens,
  logger: Logger,
  intervalMs: number,
): Promise<FileWatcher> {
  return watchFiles(
    [source.file],
    () => {
      const { value, problem } = source.read();
      if (value === undefined) {
        logger.warn(`${source.key} file changed but cannot be used; the previous token stays in force`, {
          code: 'CONFIG_INVALID',
          problem,
        });
        return;
      }
      tokens.set(role, value);
      logger.info(`${source.key} re-read from its file`, { file: source.file });
    },
    { intervalMs, onError: (e) => logger.warn('token file watch failed', { error: (e as Error).message }) },
  );
}
