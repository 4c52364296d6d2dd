import { Chains, Turns } from '../../../src/util/turns.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

it('one holder at a time per key, in the order asked; other keys never wait; a release is idempotent', async () => {
  const turns = new Turns();
  const order: string[] = [];
  const first = await turns.take('a');
  const second = turns.take('a').then((release) => {
    order.push('a2');
    return release;
  });
  const third = turns.take('a').then((release) => {
    order.push('a3');
    release();
  });
  const other = await turns.take('b');
  order.push('b1');
  await tick();
  expect(order).toEqual(['b1']);
  first();
  first();
  const releaseSecond = await second;
  await tick();
  expect(order).toEqual(['b1', 'a2']);
  releaseSecond();
  await third;
  expect(order).toEqual(['b1', 'a2', 'a3']);
  other();
  // Nothing held: a new holder gets its turn at once.
  (await turns.take('a'))();
});

describe('Chains', () => {
  it('runs one key in order, a rejection reaching only its caller; the last run leaves no entry; all() waits for every chain', async () => {
    const chains = new Chains();
    const order: string[] = [];
    const step =
      (name: string, fail = false) =>
      async () => {
        await tick();
        order.push(name);
        if (fail) throw new Error(name);
        return name;
      };
    const a = chains.run('k', step('a', true));
    const b = chains.run('k', step('b'));
    const c = chains.run('other', step('c'));
    await expect(a).rejects.toThrow('a');
    await expect(b).resolves.toBe('b');
    await expect(c).resolves.toBe('c');
    expect(order.filter((n) => n !== 'c')).toEqual(['a', 'b']);
    await tick();
    expect((chains as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);

    const late = chains.run('k', step('d', true));
    late.catch(() => undefined);
    await expect(chains.all()).resolves.toBeDefined();
    expect(order.slice(3)).toEqual(['d']);
  });
});
