/** The commands as a user runs them: the built dist/main.js, exit codes, stdout and stderr. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, tempDir } from '../helpers/daemon.js';
import { expandVersioned, loadJson, toWireV2 } from '../helpers/fixtures.js';
import { HELP } from '../../src/cli/help.js';

const dir = tempDir('ver-cli-');
const write = (name: string, content: unknown) => {
  const f = path.join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const config = write('config.json', {
  store: { path: path.join(dir, 'no-store-here.json') },
  dmaap: { password: 'dmaap-secret' },
  vims: [{ id: 'vio-1', transportUrl: 'rabbit://admin:rabbit-secret@10.0.0.1:5672/' }],
  subscriptions: [
    { id: 'power', vimId: 'vio-1', states: ['POWER_OFF'], topic: 'T1' },
    { id: 'all', vimId: 'vio-1', states: ['*'], topic: 'T2' },
  ],
});

describe('vim-event-relay CLI', () => {
  it('--help prints the usage and exits 0; --version the package version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(HELP);
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('refuses an unknown command or flag with exit 1 and a hint', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown command "frobnicate"; see --help');
    expect((await runCli(['run', '--bogus'])).code).toBe(1);
  });

  it('check-config prints the effective config with every secret redacted, exit 0', async () => {
    const r = await runCli(['check-config', '--config', config]);
    expect(r.code).toBe(0);
    const effective = JSON.parse(r.stdout) as {
      vims: { transportUrl: string }[];
      dmaap: { password: string; timeoutMs: number };
    };
    expect(effective.vims[0].transportUrl).toBe('rabbit://admin:***@10.0.0.1:5672/');
    expect(effective.dmaap).toMatchObject({ password: '***', timeoutMs: 5000 });
    expect(r.stdout).not.toMatch(/rabbit-secret|dmaap-secret/);
  });

  it('check-config exits 1 with each problem on its own line, naming the key', async () => {
    const bad = write('bad.json', { admin: { port: 'x', colour: 1 }, log: { level: 'loud' } });
    const r = await runCli(['check-config', '--config', bad]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toContain('invalid configuration');
    expect(lines.some((l) => l.startsWith('admin.port:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('admin.colour: unknown key'))).toBe(true);
    expect(lines.some((l) => l.startsWith('log.level:'))).toBe(true);
  });

  it('check-config takes $VIM_EVENT_RELAY_CONFIG when --config is absent', async () => {
    const r = await runCli(['check-config'], { env: { VIM_EVENT_RELAY_CONFIG: config } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"id": "vio-1"');
  });

  it('replay prints what would be published, to which topics, for every input form', async () => {
    const versioned = expandVersioned('instance-power_off-end.json');
    const files = [
      write('envelope.json', toWireV2(versioned, { messageId: 'm-envelope' })),
      write('wire.json', loadJson('oslo-wire/sample-wire-legacy.json').body),
      write('bare.json', versioned),
      write('pause-start.json', toWireV2(expandVersioned('instance-pause-start.json'))),
    ];
    const r = await runCli(['replay', '--vim', 'vio-1', '--config', config, ...files]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; topic: string; message: Record<string, unknown> });
    expect(lines.map((l) => `${path.basename(l.file)}>${l.topic}`)).toEqual([
      'envelope.json>T1',
      'envelope.json>T2',
      'wire.json>T1',
      'wire.json>T2',
      'bare.json>T1',
      'bare.json>T2',
    ]);
    expect(lines[0].message).toMatchObject({
      vim_id: 'vio-1',
      event: 'POWER_OFF',
      message_id: 'm-envelope',
      instance_id: versioned.payload['nova_object.data'].uuid,
    });
    expect(r.stderr).toContain('"matched":0'); // the .start matched nothing, and says so
  });

  it('replay exits 1 and names the error code of a file it cannot parse, still doing the others', async () => {
    const good = write('good.json', toWireV2(expandVersioned('instance-delete-end.json')));
    const bad = write('bad.txt', 'not json at all');
    const r = await runCli(['replay', '--vim', 'vio-1', '--config', config, bad, good]);
    expect(r.code).toBe(1);
    const [source, first] = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(source).toEqual({ source: `the config (${config})` });
    expect(first).toMatchObject({ file: bad, error: { code: 'NOT_JSON' } });
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // DELETE only goes to the "*" subscription's topic
  });

  it('replay --vim with an unknown VIM exits 1, naming the VIMs it knows', async () => {
    const good = write('known.json', toWireV2(expandVersioned('instance-delete-end.json')));
    const r = await runCli(['replay', '--vim', 'no-such-vim', '--config', config, good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`replay --vim "no-such-vim": no such VIM in the config (${config}); it knows "vio-1"`);
  });

  it('replay ends stderr with a summary line', async () => {
    const good = write('summary.json', toWireV2(expandVersioned('instance-delete-end.json')));
    const r = await runCli(['replay', '--vim', 'vio-1', '--config', config, good]);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as unknown;
    expect(last).toEqual({ summary: { vim: 'vio-1', files: 1, messages: 1, unmatched: 0, suppressed: 0, failed: 0 } });
  });

  it('explain says what a body would be sent to and why each other subscription does not take it', async () => {
    const file = write(
      'explain-pause.json',
      toWireV2(expandVersioned('instance-pause-start.json'), { messageId: 'm-ex' }),
    );
    const r = await runCli(['explain', '--vim', 'vio-1', '--config', config, file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stderr.trim())).toEqual({ source: `the config (${config})` });
    expect(JSON.parse(r.stdout)).toEqual({
      file,
      vim: 'vio-1',
      event_type: 'instance.pause.start',
      message_id: 'm-ex',
      state: 'PAUSE',
      sent: [],
      not_sent: [
        { subscription: 'power', reason: 'its state is PAUSE, not among the subscription\'s states ["POWER_OFF"]' },
        {
          subscription: 'all',
          reason: 'its phase is start, not among the subscription\'s phases ["end"] (the default)',
        },
      ],
      suppressed: 0,
    });
  });

  it('replay says why an update that changed no state matched nothing', async () => {
    const update = expandVersioned('instance-update.json');
    const su = update.payload['nova_object.data'].state_update['nova_object.data'];
    su.old_state = su.state;
    su.old_task_state = su.new_task_state;
    const r = await runCli(['replay', '--vim', 'vio-1', '--config', config, write('update.json', toWireV2(update))]);
    expect(r.code).toBe(0);
    const line = r.stderr.split('\n').find((l) => l.includes('"matched":0'));
    expect(JSON.parse(line!)).toMatchObject({
      matched: 0,
      event_type: 'instance.update',
      state: 'NONE',
      reason: expect.stringContaining('maps to no state (an update that changed no vm or task state'),
    });
  });
});
