/** Dispatch a parsed command line to its command. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HELP } from './help.js';
import { runDaemon } from './run.js';
import { checkConfig } from './check-config.js';
import { replay } from './replay.js';
import { explain } from './explain.js';
import { deadletters } from './deadletters.js';
import { serveDmaapDev } from './dmaap-dev.js';
import { reencryptStore } from './reencrypt-store.js';
import type { CliArgs } from './args.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function runCommand(args: CliArgs): Promise<number> {
  switch (args.command) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case 'check-config':
      return await checkConfig(args, process.stdout, process.stderr);
    case 'replay':
      return replay(args, process.stdout, process.stderr);
    case 'reencrypt-store':
      return reencryptStore(args, process.stdout, process.stderr);
    case 'explain':
      return explain(args, process.stdout, process.stderr);
    case 'deadletters':
      return deadletters(args, process.stdout, process.stderr);
    case 'dmaap-dev':
      return serveDmaapDev(args);
    case 'run':
      return runDaemon(args);
  }
}
