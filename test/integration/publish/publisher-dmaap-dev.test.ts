import { createDmaapDevServer, type DmaapDevServer } from '../../../src/dmaap-dev/server.js';
import type { RequestEvent } from '../../../src/publish/destination.js';
import { DmaapPublisher } from '../../../src/publish/dmaap/publisher.js';

let dev: DmaapDevServer;
let url: string;
let publisher: DmaapPublisher | undefined;

beforeEach(async () => {
  dev = createDmaapDevServer();
  ({ url } = await dev.listen());
});
afterEach(async () => {
  await publisher?.close(0);
  publisher = undefined;
  await dev.close();
});

const msg = (topic: string, i: number): string =>
  JSON.stringify({ instance_id: `vm-${i}`, topic, event: 'POWER_OFF', n: i });

describe('DmaapPublisher against dmaap-dev', () => {
  it('delivers every message exactly once, in fewer requests than messages', async () => {
    const requests: RequestEvent[] = [];
    publisher = new DmaapPublisher({ url, batchMaxMessages: 50, hooks: { onRequest: (e) => requests.push(e) } });
    const topics = ['VIM_VM_EVENTS', 'VIM_NODE_EVENTS', 'unauthenticated.OTHER'];
    const sent = new Map<string, string[]>(topics.map((t) => [t, []]));
    const results: Promise<unknown>[] = [];
    for (let i = 0; i < 1500; i++) {
      const topic = topics[i % topics.length];
      const json = msg(topic, i);
      sent.get(topic)!.push(json);
      results.push(publisher.send({ topic, json }));
    }
    const settled = await Promise.all(results);
    expect(settled).toHaveLength(1500);
    for (const topic of topics) {
      expect([...dev.messages(topic)].sort()).toEqual([...sent.get(topic)!].sort());
    }
    expect(requests.every((r) => r.outcome === 'success' && r.status === 200)).toBe(true);
    expect(requests.reduce((n, r) => n + r.count, 0)).toBe(1500);
    expect(requests.length).toBeLessThan(1500 / 10);
    expect(publisher.pending()).toBe(0);
    expect(requests.at(-1)).toMatchObject({ status: 200, outcome: 'success' });
    expect(publisher.health().ok).toBe(true);
  });

  it('resolves each message once Message Router accepted it on its topic', async () => {
    const requests: RequestEvent[] = [];
    publisher = new DmaapPublisher({ url, hooks: { onRequest: (e) => requests.push(e) } });
    await expect(publisher.send({ topic: 'T', json: '{"a":1}' })).resolves.toBeUndefined();
    expect(dev.messages('T')).toEqual(['{"a":1}']);
    expect(requests.map((r) => [r.topic, r.count, r.status, r.outcome])).toEqual([['T', 1, 200, 'success']]);
  });

  it('keeps batches under batchMaxBytes and sends an oversized message alone', async () => {
    const counts: number[] = [];
    publisher = new DmaapPublisher({ url, batchMaxBytes: 300, hooks: { onRequest: (e) => counts.push(e.count) } });
    const small = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(40) }));
    const big = JSON.stringify({ big: 'y'.repeat(1000) });
    await Promise.all([...small, big].map((json) => publisher!.send({ topic: 'T', json })));
    expect([...dev.messages('T')].sort()).toEqual([...small, big].sort());
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    expect(counts).toContain(1);
  });

  it('sends what lingers when closed, before close() returns', async () => {
    publisher = new DmaapPublisher({ url, lingerMs: 60_000 });
    const pending = Array.from({ length: 10 }, (_, i) => publisher!.send({ topic: 'T', json: msg('T', i) }));
    await publisher.close(5000);
    await expect(Promise.all(pending)).resolves.toHaveLength(10);
    expect(dev.messages('T')).toHaveLength(10);
  });

  it('lets a consumer read what was published', async () => {
    publisher = new DmaapPublisher({ url });
    await Promise.all(['{"n":1}', '{"n":2}'].map((json) => publisher!.send({ topic: 'T', json })));
    const res = await fetch(`${url}/events/T/relay-test/c1?timeout=0`);
    expect(((await res.json()) as string[]).sort()).toEqual(['{"n":1}', '{"n":2}']);
  });
});
