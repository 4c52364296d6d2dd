/** `check-config`: exit 0 and print the effective config (secrets redacted), or exit 1 with each problem on a line. */
import { loadConfig, redactedConfig, resolveConfigPath } from '../config/load.js';
import type { CliArgs } from './args.js';

export function checkConfig(args: CliArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const file = resolveConfigPath(args.config);
  try {
    out.write(`${JSON.stringify(redactedConfig(loadConfig(file)), null, 2)}\n`);
    return 0;
  } catch (e) {
    err.write(`${file}: invalid configuration\n${(e as Error).message}\n`);
    return 1;
  }
}
