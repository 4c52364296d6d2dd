/**
 * A child process updates the store as fast as it can and is SIGKILLed at a random moment,
 * round after round. Every time, the file must open and hold one of the states the child
 * wrote: the last one it saw confirmed, or the one it was writing when it died.
 * The child runs the built store (dist/, which `npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StateFile } from '../../../src/store/state-file.js';

import { ROOT } from '../../helpers/daemon.js';
const PAD = 'x'.repeat(256 * 1024); // a write big enough for kills to land mid-write

const CHILD = `
import { StateFile } from '${pathToFileURL(join(ROOT, 'dist/store/state-file.js')).href}';
const { store } = await StateFile.open(process.argv[2], { vims: [], subscriptions: [] });
let n = store.get().computeNodes.v?.node?.counter ?? 0;
process.stdout.write('ready ' + n + '\\n');
const pad = ${JSON.stringify(PAD.slice(0, 16))}.repeat(${PAD.length / 16});
for (;;) {
  const next = n + 1;
  await store.update((d) => {
    d.computeNodes = { v: { node: { counter: next, pad: pad + next } } };
    d.vims = [{ id: 'v' + (next % 50), transportUrl: 'rabbit://u:p@h/' }];
  });
  n = next;
  process.stdout.write(n + '\\n');
}
`;

let work: string;

/** The child runs the BUILT store (npm test builds before jest runs). */
async function buildChild(): Promise<string> {
  const child = join(work, 'child.mjs');
  await writeFile(child, CHILD);
  return child;
}

/** Runs the child until a random moment after it is ready; the last counter it saw confirmed. */
function runAndKill(child: string, storePath: string): Promise<{ start: number; confirmed: number }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [child, storePath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!killTimer && out.includes('\n'))
        killTimer = setTimeout(() => proc.kill('SIGKILL'), 20 + Math.random() * 180);
    });
    proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
    proc.on('error', fail);
    proc.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return fail(new Error(`child ended without being killed: ${err}`));
      const lines = out.trim().split('\n');
      const start = Number(lines[0].replace('ready ', ''));
      const numbers = lines.slice(1).map(Number);
      done({ start, confirmed: numbers.length ? numbers[numbers.length - 1] : start });
    });
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'store-crash-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

it('never leaves a torn store when the writer is SIGKILLed at random moments', async () => {
  const child = await buildChild();
  const storePath = join(work, 'data', 'state.json');
  let previous = 0;
  for (let round = 0; round < 8; round++) {
    const { start, confirmed } = await runAndKill(child, storePath);
    expect(start).toBe(previous); // the child resumed from what the last round left
    const { store, seeded } = await StateFile.open(storePath, { vims: [], subscriptions: [] });
    expect(seeded).toBe(false);
    const node = store.get().computeNodes.v?.node as { counter: number; pad: string } | undefined;
    const counter = node?.counter ?? 0;
    // On disk: the last confirmed write, or the one in progress when the kill landed.
    expect([confirmed, confirmed + 1]).toContain(counter);
    if (node) {
      expect(node.pad).toBe(PAD + counter);
      expect(store.get().vims).toEqual([{ id: `v${counter % 50}`, transportUrl: 'rabbit://u:p@h/' }]);
    }
    expect((await readdir(dirname(storePath))).filter((n) => n.includes('.tmp-'))).toEqual([]);
    previous = counter;
  }
  // Enough writes happened for the kills to have had something to interrupt.
  expect(previous).toBeGreaterThan(8);
}, 60_000);
