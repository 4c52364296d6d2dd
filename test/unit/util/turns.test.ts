import { Turns } from '../../../src/util/turns.js';

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
