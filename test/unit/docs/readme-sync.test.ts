/**
 * The README is the user's manual and must stay true: its generated tables equal what the code
 * defines, and every command, env var, npm script and linked doc it names exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configKeys, renderReadme } from '../../../tools/readme-tables.js';
import { configSchema } from '../../../src/config/schema.js';
import { secretFileVariables } from '../../../src/config/secret-files.js';
import { ERRORS } from '../../../src/errors.js';
import { HELP } from '../../../src/cli/help.js';
import { ROOT } from '../../helpers/daemon.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function envVars(node: Record<string, unknown>): string[] {
  return Object.values(node).flatMap((v) => {
    const o = v as Record<string, unknown>;
    return typeof o.env === 'string' ? [o.env] : 'doc' in o ? [] : envVars(o);
  });
}

describe('README stays true', () => {
  it('has the generated tables exactly as the code defines them (run `npm run docs` to fix)', async () => {
    expect(await renderReadme(readme)).toBe(readme);
  });

  it('lists every config key and every error code', () => {
    for (const key of configKeys()) expect(readme).toContain(`| \`${key}\` |`);
    for (const code of Object.keys(ERRORS)) expect(readme).toContain(`| \`${code}\` |`);
  });

  it('names only env vars that exist', () => {
    const known = new Set([...envVars(configSchema), ...secretFileVariables(), 'VIM_EVENT_RELAY_CONFIG']);
    const named = new Set(readme.match(/VIM_EVENT_RELAY_[A-Z0-9_]+/g) ?? []);
    expect([...named].filter((v) => !known.has(v))).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const named = new Set([...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect([...named].filter((s) => !(s in pkg.scripts))).toEqual([]);
  });

  it('links only docs that exist', () => {
    const links = [...readme.matchAll(/\]\(((?:docs|schemas)\/[^)#]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(path.join(ROOT, l)))).toEqual([]);
  });

  it('documents every command of --help, and --help every command of the README', () => {
    for (const c of ['run', 'check-config', 'replay', 'dmaap-dev']) {
      expect(HELP).toMatch(new RegExp(`vim-event-relay \\[?${c}\\b`));
      expect(HELP).toMatch(new RegExp(`^  ${c} `, 'm'));
      expect(readme).toContain(`\`vim-event-relay ${c}`);
    }
    for (const flag of HELP.match(/--[a-z-]+/g) ?? []) expect(readme).toContain(flag);
  });

  it('opens with exactly two set-up commands: run the daemon, run the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    const commands = firstBlock.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^npm ci && npm start\b/);
    expect(commands[1]).toMatch(/^npm test\b/);
  });
});
