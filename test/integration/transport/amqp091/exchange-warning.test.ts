/**
 * A silent VIM's most common cause: nova publishes to another exchange than the VIM's. When the
 * relay finds no exchange and declares it itself, it says so at warn; an existing one is quiet.
 */
import { Amqp091Listener } from '../../../../src/transport/amqp091/listener.js';
import { cleanup, FAST_TRANSPORT, testVim, withChannel } from '../../../helpers/amqp.js';
import { captureLog } from '../../../helpers/log-capture.js';
import { waitFor } from '../../../helpers/wait.js';

const garbage: { queues: string[]; exchanges: string[] }[] = [];
const listeners: Amqp091Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  for (const names of garbage.splice(0)) await cleanup(names);
});

async function start(exists: boolean) {
  const { vim, names } = testVim();
  garbage.push(names);
  if (exists) await withChannel((ch) => ch.assertExchange(vim.exchange, 'topic', { durable: false }));
  const log = captureLog('info');
  const listener = new Amqp091Listener(vim, FAST_TRANSPORT, log.logger);
  listeners.push(listener);
  void listener.start(() => undefined);
  await waitFor(() => listener.status.status === 'REACHABLE', 'the listener to connect', 10000);
  return { vim, lines: log.lines };
}

it('warns, naming the exchange, when it had to declare the exchange itself', async () => {
  const { vim, lines } = await start(false);
  const warn = lines.find((l) => l.level === 'warn' && String(l.message).includes('was declared by the relay'));
  expect(warn).toMatchObject({ exchange: vim.exchange });
  expect(String(warn!.message)).toContain('control_exchange');
});

it('says nothing of the kind when the exchange was there', async () => {
  const { lines } = await start(true);
  expect(lines.some((l) => String(l.message).includes('was declared by the relay'))).toBe(false);
});
