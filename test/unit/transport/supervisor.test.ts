/**
 * The connection supervisor's rules, over a scripted protocol (pure logic: the real protocols
 * run against RabbitMQ in test/integration/transport/).
 */
import { RelayError } from '../../../src/errors.js';
import { ConnectLimiter } from '../../../src/transport/connect-limiter.js';
import type { OpenRequest, Session, SessionOpener } from '../../../src/transport/session.js';
import { SupervisedListener } from '../../../src/transport/supervisor.js';
import { parseTransportUrl } from '../../../src/transport/transport-url.js';
import type { Delivery, ListenerStatusChange } from '../../../src/transport/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { waitFor } from '../../helpers/wait.js';

class FakeSession implements Session {
  readonly closed: Promise<string>;
  readonly detail = {};
  closes = 0;
  stops = 0;
  end!: (reason: string) => void;
  constructor() {
    this.closed = new Promise((r) => (this.end = r));
  }
  unsettled(): number {
    return 0;
  }
  async stopConsuming(): Promise<void> {
    this.stops++;
  }
  async close(): Promise<void> {
    this.closes++;
    this.end('closed by the relay');
  }
}

interface Call {
  readonly req: OpenRequest;
  resolve(s: Session): void;
  reject(e: unknown): void;
}

class ScriptedOpener implements SessionOpener {
  readonly calls: Call[] = [];
  open(req: OpenRequest): Promise<Session> {
    return new Promise((resolve, reject) => this.calls.push({ req, resolve, reject }));
  }
}

const refused = (port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED' });
const OPTS = { reconnectInitialMs: 5, reconnectMaxMs: 10, connectTimeoutMs: 5000 };

function listener(url = 'rabbit://u:pw@127.0.0.1:1,u:pw@127.0.0.1:2/', opts = OPTS, limiter = new ConnectLimiter(32)) {
  const opener = new ScriptedOpener();
  const l = new SupervisedListener('vim-1', parseTransportUrl(url), opener, opts, limiter, silentLogger());
  const events: ListenerStatusChange[] = [];
  l.on('status', (s: ListenerStatusChange) => events.push(s));
  return { l, opener, events };
}

const open: SupervisedListener[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function started(x: ReturnType<typeof listener>, onDelivery: (d: Delivery) => void = () => undefined) {
  open.push(x.l);
  return x.l.start(onDelivery);
}

describe('SupervisedListener', () => {
  it('start() returns before the first connection is made, and PENDING -> REACHABLE is one event', async () => {
    const x = listener();
    await started(x);
    expect(x.l.status.status).toBe('PENDING');
    await waitFor(() => x.opener.calls.length === 1, 'an attempt');
    expect(x.opener.calls[0].req.label).toBe('127.0.0.1:1');
    x.opener.calls[0].resolve(new FakeSession());
    await waitFor(() => x.l.status.status === 'REACHABLE', 'REACHABLE');
    expect(x.events.map((e) => e.status)).toEqual(['REACHABLE']);
    expect(x.events[0].reason).toBeUndefined();
  });

  it('start() twice rejects with a clear error, and so does start() after close()', async () => {
    const x = listener();
    await started(x);
    await expect(x.l.start(() => undefined)).rejects.toThrow(
      'the listener for VIM vim-1 was already started; a listener starts once (make a new one to start again)',
    );
    const y = listener();
    await y.l.close();
    await expect(y.l.start(() => undefined)).rejects.toBeInstanceOf(RelayError);
  });

  it('while PENDING a dead first host is failover: the next host at once, no UNREACHABLE', async () => {
    const x = listener();
    await started(x);
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    x.opener.calls[0].reject(refused(1));
    await waitFor(() => x.opener.calls.length === 2, 'attempt 2');
    expect(x.opener.calls[1].req.label).toBe('127.0.0.1:2');
    x.opener.calls[1].resolve(new FakeSession());
    await waitFor(() => x.l.status.status === 'REACHABLE', 'REACHABLE');
    expect(x.events.map((e) => e.status)).toEqual(['REACHABLE']);
  });

  it('a failed round is one UNREACHABLE naming every host; new reasons update it without another event', async () => {
    const x = listener();
    await started(x);
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    x.opener.calls[0].reject(refused(1));
    await waitFor(() => x.opener.calls.length === 2, 'attempt 2');
    x.opener.calls[1].reject(refused(2));
    await waitFor(() => x.l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    const first = x.l.status;
    expect(first.reason).toMatch(
      /^no host of the transport_url accepted the connection: 127\.0\.0\.1:1: connection refused \(ECONNREFUSED\).*; 127\.0\.0\.1:2: connection refused/,
    );
    expect(first.reason).not.toContain('pw');
    // The next round, after a backoff, starts at the first host again; now it refuses the login.
    await waitFor(() => x.opener.calls.length === 3, 'attempt 3');
    expect(x.opener.calls[2].req.hostIndex).toBe(0);
    const login = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
    );
    x.opener.calls[2].reject(login);
    await waitFor(() => x.opener.calls.length === 4, 'attempt 4');
    x.opener.calls[3].reject(login);
    await waitFor(() => x.l.status.reason?.includes('login refused'), 'the new reason');
    expect(x.l.status.since).toBe(first.since);
    expect(x.events.map((e) => e.status)).toEqual(['UNREACHABLE']);
  });

  it('a lost session is UNREACHABLE "connection to <host> lost", and the reconnect starts at the next host', async () => {
    const x = listener();
    await started(x);
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    const s = new FakeSession();
    x.opener.calls[0].resolve(s);
    await waitFor(() => x.l.status.status === 'REACHABLE', 'REACHABLE');
    s.end('heartbeat timeout');
    await waitFor(() => x.l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(x.l.status.reason).toBe('connection to 127.0.0.1:1 lost: heartbeat timeout');
    await waitFor(() => x.opener.calls.length === 2, 'the reconnect');
    expect(x.opener.calls[1].req.label).toBe('127.0.0.1:2');
    x.opener.calls[1].resolve(new FakeSession());
    await waitFor(() => x.l.status.status === 'REACHABLE', 'REACHABLE again');
    expect(x.events.map((e) => e.status)).toEqual(['REACHABLE', 'UNREACHABLE', 'REACHABLE']);
  });

  it('a delivery handler that throws has its delivery requeued; after stopConsuming() deliveries go straight back', async () => {
    const x = listener();
    await started(x, () => {
      throw new Error('pipeline bug');
    });
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    const s = new FakeSession();
    x.opener.calls[0].resolve(s);
    await waitFor(() => x.l.status.status === 'REACHABLE', 'REACHABLE');
    const requeued: string[] = [];
    const delivery = (tag: string) => ({ requeue: () => requeued.push(tag) }) as unknown as Delivery;
    x.opener.calls[0].req.deliver(delivery('a'));
    expect(requeued).toEqual(['a']);
    await x.l.stopConsuming();
    expect(s.stops).toBe(1);
    x.opener.calls[0].req.deliver(delivery('b'));
    expect(requeued).toEqual(['a', 'b']);
  });

  it('an attempt past connectTimeoutMs is aborted, frees its slot, and a session that opens late is closed', async () => {
    const limiter = new ConnectLimiter(1);
    // A long backoff: no second attempt takes the slot again during the test.
    const x = listener(
      'rabbit://127.0.0.1:1/',
      { reconnectInitialMs: 60000, reconnectMaxMs: 60000, connectTimeoutMs: 40 },
      limiter,
    );
    await started(x);
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    const first = x.opener.calls[0];
    expect(limiter.inUse).toBe(1);
    await waitFor(() => x.l.status.status === 'UNREACHABLE', 'UNREACHABLE');
    expect(first.req.signal.aborted).toBe(true);
    expect(limiter.inUse).toBe(0);
    expect(x.opener.calls).toHaveLength(1);
    expect(x.l.status.reason).toMatch(/^127\.0\.0\.1:1: no answer within 40 ms \(transport\.connectTimeoutMs\)/);
    const late = new FakeSession();
    first.resolve(late);
    await waitFor(() => late.closes === 1, 'the late session closed');
  });

  it('the connect slot is held until TCP is up (connected()), then passes to the next VIM', async () => {
    const limiter = new ConnectLimiter(1);
    const a = listener('rabbit://127.0.0.1:1/', OPTS, limiter);
    const b = listener('rabbit://127.0.0.1:2/', OPTS, limiter);
    await started(a);
    await started(b);
    await waitFor(() => a.opener.calls.length === 1, 'a attempts');
    await new Promise((r) => setTimeout(r, 20));
    expect(b.opener.calls).toHaveLength(0);
    a.opener.calls[0].req.connected();
    await waitFor(() => b.opener.calls.length === 1, 'b attempts once a has TCP');
    b.opener.calls[0].resolve(new FakeSession());
    await waitFor(() => b.l.status.status === 'REACHABLE', 'b REACHABLE while a still waits for its handshake');
    expect(a.l.status.status).toBe('PENDING');
  });

  it('close() ends a backoff sleep or a slot wait at once, aborts the attempt, and reports no more status', async () => {
    const limiter = new ConnectLimiter(1);
    const x = listener('rabbit://127.0.0.1:1/', { ...OPTS, reconnectInitialMs: 60000, reconnectMaxMs: 60000 }, limiter);
    await started(x);
    await waitFor(() => x.opener.calls.length === 1, 'attempt 1');
    const waiting = listener('rabbit://127.0.0.1:2/', OPTS, limiter);
    await started(waiting);
    x.opener.calls[0].reject(refused(1));
    await waitFor(() => x.l.status.status === 'UNREACHABLE', 'UNREACHABLE, then a long backoff');
    await waitFor(() => waiting.opener.calls.length === 1, 'the other VIM gets the slot');
    const t0 = Date.now();
    await x.l.close();
    await waiting.l.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(waiting.opener.calls[0].req.signal.aborted).toBe(true);
    expect(x.events.map((e) => e.status)).toEqual(['UNREACHABLE']);
    expect(limiter.inUse).toBe(0);
  });
});
