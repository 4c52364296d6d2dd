/**
 * What the catalogue hands the transport so that no queue is left behind: a PUT that changes a
 * VIM retires what the old settings read (after the new listener started), and every listener
 * can ask whether its VIM is still registered as it has it. Scripted listeners over a real
 * StateFile; the broker side is tested in test/integration/transport and test/e2e.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { VimCatalogue, type CatalogueOptions } from '../../../src/daemon/vim-catalogue.js';
import { Pipeline } from '../../../src/daemon/pipeline.js';
import { MetricsObserver } from '../../../src/daemon/observer.js';
import type { VimConfig } from '../../../src/config/vim.js';
import { StateFile } from '../../../src/store/state-file.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import type { ListenerHooks } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ScriptedDestination } from '../../helpers/scripted-destination.js';
import { ScriptedListener } from '../../helpers/scripted-listener.js';

const URL = 'rabbit://guest:guest@127.0.0.1:1/';
let dir: string;
const catalogues: VimCatalogue[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vim-catalogue-retire-'));
});
afterEach(async () => {
  for (const c of catalogues.splice(0)) await c.closeAll();
  await rm(dir, { recursive: true, force: true });
});

async function setup(retireChange: CatalogueOptions['retireChange']) {
  const { store } = await StateFile.open(join(dir, 'state.json'), { vims: [], subscriptions: [] });
  const events: string[] = [];
  const hooks: { vim: VimConfig; hooks: ListenerHooks | undefined }[] = [];
  const observer = new MetricsObserver();
  const pipeline = new Pipeline({
    destinations: { dmaap: new ScriptedDestination() },
    defaultSink: 'dmaap',
    subscriptions: () => [],
    observer,
    logger: silentLogger(),
    maxBodyBytes: 1 << 20,
  });
  const catalogue = new VimCatalogue(
    store,
    pipeline,
    {
      transport: DEFAULT_TRANSPORT_OPTIONS,
      dedupeWindow: 10,
      drainTimeoutMs: 1000,
      defaultSink: 'dmaap',
      sinks: new Set(['dmaap']),
      listenerFactory: (vim, _opts, _log, h) => {
        hooks.push({ vim, hooks: h });
        return new (class extends ScriptedListener {
          override async start(d: Parameters<ScriptedListener['start']>[0]): Promise<void> {
            events.push(`start ${vim.queue}`);
            await super.start(d);
          }
        })(vim);
      },
      retireChange: async (old, next) => {
        events.push(`retire ${old.queue} -> ${next.queue}`);
        await retireChange?.(old, next);
      },
    },
    observer,
    silentLogger(),
  );
  catalogues.push(catalogue);
  return { catalogue, events, hooks };
}

it('a PUT that changes the VIM retires the old settings after the new listener started; one that changes nothing does not', async () => {
  const { catalogue, events } = await setup(undefined);
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q1' });
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q1' });
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q2' });
  expect(events).toEqual(['start q1', 'start q2', 'retire q1 -> q2']);
});

it('a retire that fails leaves the change standing', async () => {
  const { catalogue } = await setup(() => Promise.reject(new Error('broker gone')));
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q1' });
  await expect(catalogue.putVim('v1', { transportUrl: URL, queue: 'q2' })).resolves.toMatchObject({
    created: false,
    vim: { queue: 'q2' },
  });
  expect(catalogue.vim('v1')?.vim.queue).toBe('q2');
  expect(catalogue.running.get('v1')?.vim.queue).toBe('q2');
});

it("each listener's stillWanted answers from the store: its VIM registered exactly as it has it", async () => {
  const { catalogue, hooks } = await setup(undefined);
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q1' });
  const first = hooks[0].hooks?.stillWanted;
  expect(first?.()).toBe(true);
  await catalogue.putVim('v1', { transportUrl: URL, queue: 'q2' });
  expect(first?.()).toBe(false);
  expect(hooks[1].hooks?.stillWanted?.()).toBe(true);
  await catalogue.deleteVim('v1');
  expect(hooks[1].hooks?.stillWanted?.()).toBe(false);
});
