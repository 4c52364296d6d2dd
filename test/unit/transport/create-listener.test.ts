import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyVimDefaults, type VimConfig } from '../../../src/config/vim.js';
import { Amqp091Listener } from '../../../src/transport/amqp091/listener.js';
import { Amqp10Listener } from '../../../src/transport/amqp10/listener.js';
import { createListener, UnusableUrlListener } from '../../../src/transport/create-listener.js';
import { DEFAULT_TRANSPORT_OPTIONS } from '../../../src/transport/options.js';
import type { ListenerSpec, ListenerStatusChange } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';

const vim = (transportUrl: string): VimConfig => applyVimDefaults({ id: 'vio-1', transportUrl });

describe('createListener', () => {
  it('picks the listener by the transport_url scheme (nothing connects before start)', async () => {
    const rabbit = createListener(vim('rabbit://u:p@h:5672/'), DEFAULT_TRANSPORT_OPTIONS, silentLogger());
    const amqp = createListener(vim('amqp://u:p@h:5672/'), DEFAULT_TRANSPORT_OPTIONS, silentLogger());
    expect(rabbit).toBeInstanceOf(Amqp091Listener);
    expect(amqp).toBeInstanceOf(Amqp10Listener);
    expect([rabbit.status.status, amqp.status.status]).toEqual(['PENDING', 'PENDING']);
    await Promise.all([rabbit.close(), amqp.close()]);
  });

  it('a stored URL that no longer parses: UNREACHABLE with the fix, announced once at start', async () => {
    const l = createListener(
      vim('rabbit://h/?heartbeat_timeout_threshold=1.5'),
      DEFAULT_TRANSPORT_OPTIONS,
      silentLogger(),
    );
    expect(l).toBeInstanceOf(UnusableUrlListener);
    expect(l.status.status).toBe('UNREACHABLE');
    expect(l.status.reason).toMatch(
      /^transportUrl: .*heartbeat_timeout_threshold.*; correct it with PUT \/api\/v1\/vims\/vio-1$/,
    );
    const events: ListenerStatusChange[] = [];
    l.on('status', (s: ListenerStatusChange) => events.push(s));
    await l.start(() => undefined);
    await expect(l.start(() => undefined)).rejects.toThrow('was already started');
    expect(events).toEqual([l.status]);
  });

  it("VimConfig stays assignable to the transport's ListenerSpec", () => {
    const spec: ListenerSpec = vim('rabbit://h/');
    expect(spec.queue).toBe('vim-event-relay.vio-1');
  });

  it('nothing under src/transport imports the config layer', () => {
    const root = join(process.cwd(), 'src', 'transport');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /from '(\.\.\/)+config\//.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
