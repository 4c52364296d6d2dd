/** watchFiles: one call per change of content, none for a rewrite that changes nothing, and the periodic check where events cannot be had. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFiles, type FileWatcher } from '../../../src/util/watch-files.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'watch-files-'));
let w: FileWatcher | undefined;
afterEach(() => w?.close());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('calls back when the content changes, not when the file is touched or rewritten the same', async () => {
  const f = join(dir, 'token');
  writeFileSync(f, 'one');
  let calls = 0;
  w = await watchFiles([f], () => void calls++, { intervalMs: 50 });
  writeFileSync(f, 'one');
  utimesSync(f, new Date(), new Date());
  // Several periodic checks and the events of both writes have passed: nothing changed.
  await sleep(300);
  expect(calls).toBe(0);
  writeFileSync(f, 'two');
  await waitFor(() => calls === 1, 'the call for the change');
  await sleep(200);
  expect(calls).toBe(1);
});

it('finds a change by its periodic check where the directory could not be watched (it did not exist yet)', async () => {
  const missing = join(dir, 'later', 'tls.crt');
  const errors: unknown[] = [];
  let calls = 0;
  w = await watchFiles([missing], () => void calls++, { intervalMs: 50, onError: (e) => errors.push(e) });
  expect(errors).toHaveLength(1);
  mkdirSync(join(dir, 'later'));
  writeFileSync(missing, 'cert');
  await waitFor(() => calls === 1, 'the periodic check to see the new file');
});
