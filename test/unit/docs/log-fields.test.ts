/**
 * One name for one thing in the log: a line about a VIM carries `vim`, never `vimId`, so that a
 * log query finds every line of a VIM. (src/transport/ is its own room and is held to the same
 * rule on its branch.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/daemon.js';

function tsFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (statSync(abs).isFile()) return rel.endsWith('.ts') ? [rel] : [];
  return readdirSync(abs).flatMap((name) => tsFiles(path.join(rel, name)));
}

const LOG_CALL = /\.(child|info|warn|error|debug)\(/;

it('log calls outside src/transport name a VIM `vim`, not `vimId`', () => {
  const files = tsFiles('src').filter((f) => !f.startsWith(path.join('src', 'transport')));
  expect(files.length).toBeGreaterThan(50);
  const offending = files.flatMap((f) =>
    readFileSync(path.join(ROOT, f), 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        LOG_CALL.test(line) && /[{,]\s*vimId\s*[:,}]/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [],
      ),
  );
  expect(offending).toEqual([]);
  // The rule is not vacuous: the daemon's VIM lines do carry `vim`.
  expect(readFileSync(path.join(ROOT, 'src/daemon/vim-runner.ts'), 'utf8')).toMatch(
    /logger\.child\(\{ vim: vim\.id \}\)/,
  );
});
