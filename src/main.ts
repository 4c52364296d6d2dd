#!/usr/bin/env node
/** Entry point: parse the command line, run the command, exit with its code. */
import { parseCli } from './cli/args.js';
import { runCommand } from './cli/commands.js';

let code: number;
try {
  code = await runCommand(parseCli(process.argv.slice(2)));
} catch (e) {
  process.stderr.write(`vim-event-relay: ${(e as Error).message}\n`);
  code = 1;
}
// Explicit exit: a closed daemon may still hold timers (reconnect backoff) that need not finish.
process.exit(code);
