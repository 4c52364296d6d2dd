/** A store directory that cannot be written is refused at open, naming store.path and its variable. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFile } from '../../../src/store/state-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-path-'));
  await writeFile(join(dir, 'a-file'), 'x');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it.each([
  ['under a regular file', () => join(dir, 'a-file', 'data', 'state.json')],
  ['on a read-only file system (sysfs)', () => '/sys/vim-event-relay-test/state.json'],
])('names store.path when its directory is %s', async (_name, at) => {
  const p = at();
  await expect(StateFile.open(p, { vims: [], subscriptions: [] })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringMatching(
      new RegExp(
        `^store\\.path \\(VIM_EVENT_RELAY_STORE_PATH\\) is ${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, but its directory .* cannot be created or written`,
      ),
    ),
  });
});
