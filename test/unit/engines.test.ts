/**
 * package.json's "engines" is true for what is installed to run: every runtime package in the
 * lock file accepts every Node version the relay claims, so `npm ci --engine-strict --omit=dev`
 * works on the oldest of them. (Dev-only packages may need a newer Node; they never ship.)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { ROOT } from '../helpers/daemon.js';

interface LockPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockPackage>;
};

it('every runtime package accepts every Node version package.json claims', () => {
  const claimed = pkg.engines.node;
  const runtime = Object.entries(lock.packages).filter(([name, p]) => name !== '' && !p.dev);
  expect(runtime.length).toBeGreaterThan(50);
  const narrower = runtime
    .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node)
    .filter(([, p]) => !semver.subset(claimed, (p.engines as { node: string }).node, { includePrerelease: false }))
    .map(
      ([name, p]) =>
        `${name.replace(/^.*node_modules\//, '')}@${p.version} needs node ${(p.engines as { node: string }).node}`,
    );
  expect(narrower).toEqual([]);
});

it('claims the Node version this test runs on', () => {
  expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
});

it('npm ci --engine-strict --omit=dev accepts the lock file on this Node', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ver-engines-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
    // --dry-run resolves the tree from the lock file and checks engines without installing anything.
    const out = execFileSync(
      'npm',
      ['ci', '--engine-strict', '--omit=dev', '--dry-run', '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(out).toMatch(/added \d+ packages/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
