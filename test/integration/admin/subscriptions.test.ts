import type { StateChange } from '../../../src/model/state-change.js';
import { expandVersioned, toWireV2 } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait.js';
import { call, startAdmin, VIM, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startAdmin();
  await call(h.url, 'PUT', '/api/v1/vims/vio-1', { body: VIM });
  await call(h.url, 'PUT', '/api/v1/vims/vio-2', { body: VIM });
});
afterEach(async () => {
  await h.close();
});

const SUB = { vimId: 'vio-1', states: ['power_off', 'Delete', 'POWER_OFF'], topic: 'VIM_VM_EVENTS' };
const put = (id: string, body: unknown) => call(h.url, 'PUT', `/api/v1/subscriptions/${id}`, { body });

describe('/api/v1/subscriptions', () => {
  it('creates (201), stores states upper-case and de-duplicated, replaces (200)', async () => {
    const created = await put('vio-1-power', SUB);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/subscriptions/vio-1-power');
    expect(created.json).toEqual({
      id: 'vio-1-power',
      vimId: 'vio-1',
      states: ['POWER_OFF', 'DELETE'],
      topic: 'VIM_VM_EVENTS',
    });
    const replaced = await put('vio-1-power', { ...SUB, states: ['*'], phases: ['start', 'end'] });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toEqual({
      id: 'vio-1-power',
      vimId: 'vio-1',
      states: ['*'],
      topic: 'VIM_VM_EVENTS',
      phases: ['start', 'end'],
    });
    const got = await call(h.url, 'GET', '/api/v1/subscriptions/vio-1-power');
    expect(got.status).toBe(200);
    expect(got.json).toEqual(replaced.json);
  });

  it('"*" among other states means all', async () => {
    const a = await put('s', { ...SUB, states: ['create', '*'] });
    expect(a.json).toMatchObject({ states: ['*'] });
  });

  it("lists all, or one VIM's with ?vimId=", async () => {
    await put('a', SUB);
    await put('b', { ...SUB, vimId: 'vio-2' });
    const all = await call(h.url, 'GET', '/api/v1/subscriptions');
    expect((all.json as { id: string }[]).map((s) => s.id)).toEqual(['a', 'b']);
    const one = await call(h.url, 'GET', '/api/v1/subscriptions?vimId=vio-2');
    expect((one.json as { id: string }[]).map((s) => s.id)).toEqual(['b']);
    const bad = await call(h.url, 'GET', '/api/v1/subscriptions?vimId=no%20such');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('query.vimId "no such"') },
    });
    const unknownParam = await call(h.url, 'GET', '/api/v1/subscriptions?vim=vio-2');
    expect(unknownParam.json).toMatchObject({ error: { message: 'query.vim is not a known property' } });
  });

  it('DELETE answers 204, then 404', async () => {
    await put('a', SUB);
    expect((await call(h.url, 'DELETE', '/api/v1/subscriptions/a')).status).toBe(204);
    expect((await call(h.url, 'GET', '/api/v1/subscriptions/a')).status).toBe(404);
    const again = await call(h.url, 'DELETE', '/api/v1/subscriptions/a');
    expect(again.status).toBe(404);
    expect(again.json).toMatchObject({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('subscription "a"') },
    });
  });

  it('a subscription for an unknown VIM is 409 CONFLICT', async () => {
    const a = await put('x', { ...SUB, vimId: 'vio-9' });
    expect(a.status).toBe(409);
    expect(a.json).toEqual({
      error: { code: 'CONFLICT', message: 'vimId "vio-9" is not a registered VIM; PUT /api/v1/vims/vio-9 first' },
    });
  });

  const invalid: [string, unknown, string][] = [
    [
      'unknown states, all named',
      { ...SUB, states: ['POWER_OFF', 'reboot_hard', 'melt'] },
      'body.states has unknown state(s) "reboot_hard", "melt"; use "*" or any of CREATE, DELETE',
    ],
    ['an empty states list', { ...SUB, states: [] }, 'body.states must NOT have fewer than 1 items'],
    ['a state that is not a string', { ...SUB, states: [1] }, 'body.states[0] must be a string (got 1)'],
    ['an unknown phase', { ...SUB, phases: ['middle'] }, 'body.phases[0] "middle" must be one of start, end, error'],
    ['no topic', { vimId: 'vio-1', states: ['CREATE'] }, 'body.topic is required'],
    ['a topic with a slash', { ...SUB, topic: 'a/b' }, 'body.topic "a/b" does not match'],
    ['a bad vimId', { ...SUB, vimId: 'vio 1' }, 'body.vimId "vio 1" does not match'],
    [
      'a body id that differs from the path',
      { ...SUB, id: 'other' },
      'body.id "other" differs from the id "s1" in the path',
    ],
  ];
  it.each(invalid)('refuses %s with 400 VALIDATION_FAILED naming the field', async (_n, body, message) => {
    const a = await put('s1', body);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining(message) } });
    expect(h.store.get().subscriptions).toEqual([]);
  });

  it('refuses a subscription id outside the id pattern', async () => {
    const a = await put('s$1', SUB);
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('params.id "s$1"') },
    });
  });
});

function change(event: string, n: number): StateChange {
  return {
    state_description: null,
    launched_at: '2024-05-01T10:00:00.000000',
    instance_id: `i-${n}`,
    display_name: `vm${n}`,
    state: 'stopped',
    event,
    timestamp: `2024-05-01T10:00:0${n}Z`,
  };
}

/** As the pipeline does when an instance operation of the VIM completes: into its runner's window. */
function remember(vimId: string, ...changes: StateChange[]): void {
  const runner = h.catalogue.running.get(vimId);
  if (!runner) throw new Error(`VIM ${vimId} has no runner`);
  for (const c of changes) runner.state.remember(c);
}

describe('POST /api/multicloud-vio/v0/{vimId}/check_vim_status', () => {
  const path = '/api/multicloud-vio/v0/vio-1/check_vim_status';

  it('answers the matching state changes, newest first, states case-insensitive', async () => {
    remember('vio-1', change('POWER_OFF', 1), change('CREATE', 2), change('POWER_OFF', 3));
    remember('vio-2', change('POWER_OFF', 4));
    const a = await call(h.url, 'POST', path, { body: { states: ['power_off'] } });
    expect(a.status).toBe(200);
    expect(a.json).toEqual([change('POWER_OFF', 3), change('POWER_OFF', 1)]);
    const all = await call(h.url, 'POST', path, { body: { states: ['*'] } });
    expect((all.json as StateChange[]).map((c) => c.instance_id)).toEqual(['i-3', 'i-2', 'i-1']);
  });

  it("answers what the pipeline put in the window from a notification the VIM's listener took", async () => {
    const sample = expandVersioned('instance-power_off-end.json');
    const d = h.listener('vio-1').deliver(JSON.stringify(toWireV2(sample, { messageId: 'm-window-1' })));
    await waitFor(() => d.settled.length > 0, 'the notification settled', 2000);
    expect(d.settled).toEqual([{ kind: 'ack' }]);
    const a = await call(h.url, 'POST', path, { body: { states: ['POWER_OFF'] } });
    expect(a.json).toEqual([
      expect.objectContaining({ event: 'POWER_OFF', instance_id: sample.payload['nova_object.data'].uuid }),
    ]);
    const other = await call(h.url, 'POST', '/api/multicloud-vio/v0/vio-2/check_vim_status', {
      body: { states: ['*'] },
    });
    expect(other.json).toEqual([]);
  });

  it('answers [] when nothing matched', async () => {
    const a = await call(h.url, 'POST', path, { body: { states: ['DELETE'] } });
    expect(a.status).toBe(200);
    expect(a.json).toEqual([]);
  });

  it('an unknown VIM is 404 NOT_FOUND', async () => {
    const a = await call(h.url, 'POST', '/api/multicloud-vio/v0/vio-9/check_vim_status', { body: { states: ['*'] } });
    expect(a.status).toBe(404);
    expect(a.json).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringContaining('"vio-9"') } });
  });

  it.each([
    ['no states', {}, 'body.states is required'],
    ['an unknown state', { states: ['SLEEP'] }, 'body.states has unknown state(s) "SLEEP"'],
    ['states not an array', { states: 'CREATE' }, 'body.states must be an array (got "CREATE")'],
    ['an extra key', { states: ['*'], vimid: 'x' }, 'body.vimid is not a known property'],
  ])('refuses %s with 400', async (_n, body, message) => {
    const a = await call(h.url, 'POST', path, { body });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining(message) } });
  });
});
