/**
 * `check-config`: exit 0 and print the effective config (secrets redacted), or exit 1 with every
 * problem on its own line. Warnings (an unknown VIM_EVENT_RELAY_* variable, a VIM_EVENT_RELAY_VIMS
 * the existing store overrides) and where the vims and subscriptions come from go to stderr.
 */
import {
  configWarnings,
  credentialWarnings,
  loadConfig,
  redactedConfig,
  resolveConfigPath,
  type RelayConfig,
} from '../config/load.js';
import { seedDrift } from '../config/sources.js';
import { readStore } from '../store/read-only.js';
import type { CliArgs } from './args.js';

export async function checkConfig(
  args: CliArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const file = resolveConfigPath(args.config, env);
  for (const w of configWarnings(env)) err.write(`warning: ${w}\n`);
  let cfg: RelayConfig;
  try {
    cfg = loadConfig(file, env);
  } catch (e) {
    // The file and the environment both feed the config: a problem from a variable names it.
    err.write(
      `invalid configuration (file ${file}, overridden by VIM_EVENT_RELAY_* variables where set):\n${(e as Error).message}\n`,
    );
    return 1;
  }
  for (const w of credentialWarnings(cfg)) err.write(`warning: ${w}\n`);
  out.write(`${JSON.stringify(redactedConfig(cfg), null, 2)}\n`);
  await sayStoreSource(cfg, err, env);
  return 0;
}

/** The effective vims and subscriptions printed above are the store's once it exists: say which is in force. */
async function sayStoreSource(cfg: RelayConfig, err: NodeJS.WritableStream, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const view = await readStore(cfg);
    if (!view) {
      err.write(
        'vims and subscriptions in force: the config (no store yet: it will seed the store on the first start)\n',
      );
      return;
    }
    const s = view.state;
    err.write(
      `vims and subscriptions in force: ${view.source}, ${s.vims.length} VIM(s) and ${s.subscriptions.length} subscription(s); ` +
        "the config's vims and subscriptions are ignored (run --reseed replaces the store's with them)\n",
    );
    for (const d of seedDrift(env, cfg, s, view.source)) err.write(`warning: ${d.message}\n`);
  } catch (e) {
    // The configuration is valid; a store that cannot be read now is a warning, not a refusal.
    err.write(`warning: cannot tell which vims and subscriptions are in force: ${(e as Error).message}\n`);
  }
}
