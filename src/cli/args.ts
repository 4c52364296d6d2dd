/** Command-line parsing: a subcommand, then its flags. Unknown flags are an error. */
import { parseArgs } from 'node:util';

export type Command =
  'run' | 'check-config' | 'replay' | 'explain' | 'deadletters' | 'reencrypt-store' | 'dmaap-dev' | 'help' | 'version';

export interface CliArgs {
  command: Command;
  config?: string;
  withDmaapDev: boolean;
  /** run: the configuration's vims and subscriptions replace the store's. */
  reseed: boolean;
  vim?: string;
  port: number;
  host: string;
  files: string[];
  /** deadletters: how many to read (list, show). */
  limit: number;
  /** deadletters redrive: every dead letter. */
  all: boolean;
}

const COMMANDS = new Set(['run', 'check-config', 'replay', 'explain', 'deadletters', 'reencrypt-store', 'dmaap-dev']);
/** Commands that take positional arguments after their name. */
const POSITIONAL = new Set(['replay', 'explain', 'deadletters']);

export function parseCli(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      'with-dmaap-dev': { type: 'boolean', default: false },
      reseed: { type: 'boolean', default: false },
      vim: { type: 'string' },
      port: { type: 'string', default: '3904' },
      limit: { type: 'string', default: '100' },
      all: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  const [first, ...rest] = positionals;
  if (first !== undefined && !COMMANDS.has(first)) throw new Error(`unknown command "${first}"; see --help`);
  const command: Command = values.help ? 'help' : values.version ? 'version' : ((first ?? 'run') as Command);
  if (!POSITIONAL.has(command) && rest.length) throw new Error(`unexpected argument "${rest[0]}"; see --help`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port "${values.port}" is not a port number`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 9999)
    throw new Error(`--limit "${values.limit}" is not a number from 1 to 9999`);
  return {
    limit,
    all: values.all ?? false,
    command,
    config: values.config,
    withDmaapDev: values['with-dmaap-dev'] ?? false,
    reseed: values.reseed ?? false,
    vim: values.vim,
    port,
    host: values.host ?? '127.0.0.1',
    files: rest,
  };
}
