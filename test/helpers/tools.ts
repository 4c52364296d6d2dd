/**
 * Where the tests find the command-line tools the deploy checks run (kubectl, promtool): on the
 * PATH, else in the tools cache .ci/run fills (TOOLS_DIR below: promtool extracted from Debian's
 * prometheus package there). A tool found nowhere is an error that says how to get it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** .ci/run's cache: $RELAY_CI_TOOLS_DIR, or ~/.cache/vim-event-relay/tools. */
export const TOOLS_DIR = process.env.RELAY_CI_TOOLS_DIR ?? path.join(homedir(), '.cache/vim-event-relay/tools');

const HOW: Record<string, string> = {
  kubectl: 'install kubectl (it renders the manifests: kubectl kustomize)',
  promtool: `run .ci/run once (it extracts promtool from Debian's prometheus package into ${TOOLS_DIR}), or apt-get install prometheus`,
};

export function tool(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), TOOLS_DIR]) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  throw new Error(`${name} is not installed: ${HOW[name] ?? `install ${name}`}`);
}

/** stdout of `name args...`; the error carries stdout and stderr. */
export function run(name: string, args: string[]): string {
  return execFileSync(tool(name), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
