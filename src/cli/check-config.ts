/**
 * `check-config`: exit 0 and print the effective config (secrets redacted), or exit 1 with every
 * problem on its own line. Warnings (an unknown VIM_EVENT_RELAY_* variable) go to stderr either way.
 */
import { configWarnings, loadConfig, redactedConfig, resolveConfigPath } from '../config/load.js';
import type { CliArgs } from './args.js';

export function checkConfig(
  args: CliArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const file = resolveConfigPath(args.config, env);
  for (const w of configWarnings(env)) err.write(`warning: ${w}\n`);
  try {
    out.write(`${JSON.stringify(redactedConfig(loadConfig(file, env)), null, 2)}\n`);
    return 0;
  } catch (e) {
    // The file and the environment both feed the config: a problem from a variable names it.
    err.write(
      `invalid configuration (file ${file}, overridden by VIM_EVENT_RELAY_* variables where set):\n${(e as Error).message}\n`,
    );
    return 1;
  }
}
