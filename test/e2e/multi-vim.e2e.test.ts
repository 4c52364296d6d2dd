/** Several VIMs at once, each on its own connection: one VIM's trouble does not stop the others. */
import { jest } from '@jest/globals';
import { cleanup, publishOslo, rabbitUrl, uniqueName, withChannel } from '../helpers/amqp.js';
import { expandVersioned, toWireV2 } from '../helpers/fixtures.js';
import { freePort, spawnDaemon, stopDaemon, type SpawnedDaemon } from '../helpers/daemon.js';
import { consume, startDmaapDevProcess, type DmaapDevProcess } from '../helpers/dmaap.js';
import { waitFor } from '../helpers/wait.js';

jest.setTimeout(60000);

const good = [uniqueName('mv-good1'), uniqueName('mv-good2')];
const broken = uniqueName('mv-broken');
let dmaap: DmaapDevProcess;
let daemon: SpawnedDaemon;

beforeAll(async () => {
  dmaap = await startDmaapDevProcess(await freePort());
  daemon = await spawnDaemon({
    dmaap: { url: dmaap.url },
    transport: { reconnectInitialMs: 100, reconnectMaxMs: 500 },
    vims: [
      ...good.map((id) => ({ id, transportUrl: rabbitUrl(), exchange: id })),
      { id: broken, transportUrl: 'rabbit://guest:guest@127.0.0.1:1/' }, // nothing listens on port 1
    ],
    subscriptions: [...good, broken].map((id) => ({ id, vimId: id, states: ['*'], topic: `T_${id}` })),
  });
});

afterAll(async () => {
  if (daemon) expect(await stopDaemon(daemon)).toBe(0);
  await dmaap?.stop();
  await cleanup({
    queues: good.flatMap((id) => [`vim-event-relay.${id}`, `vim-event-relay.${id}.dead`]),
    exchanges: good,
  });
});

test('each healthy VIM relays on its own connection while another stays unreachable', async () => {
  const status = async (id: string) =>
    ((await (await fetch(`${daemon.adminUrl}/api/v1/vims/${id}`)).json()) as { status: string }).status;
  await waitFor(
    async () => (await status(good[0])) === 'REACHABLE' && (await status(good[1])) === 'REACHABLE',
    'both good VIMs reachable',
  );
  await waitFor(async () => (await status(broken)) === 'UNREACHABLE', 'the broken VIM unreachable');

  await withChannel(async (ch) => {
    for (const id of good)
      publishOslo(
        ch,
        id,
        'versioned_notifications.info',
        toWireV2(expandVersioned('instance-delete-end.json'), { messageId: `m-${id}` }),
      );
  });
  for (const id of good) {
    const got = await consume(dmaap.url, `T_${id}`, 1);
    expect(got.map((m) => [m.vim_id, m.message_id])).toEqual([[id, `m-${id}`]]);
  }
  const ready = await fetch(`${daemon.adminUrl}/readyz?strict=1`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual([
    expect.stringContaining(`vim ${broken}: UNREACHABLE`),
  ]);
  const connections = daemon.lines.filter((l) => l.message === 'consuming').map((l) => l.vim);
  expect(new Set(connections)).toEqual(new Set(good));
});
