/**
 * A TCP proxy on 127.0.0.1 in front of a target (the local RabbitMQ), for fault tests: cut
 * every live connection at once (what a network partition or a broker crash looks like to
 * the client), or turn new connections away while "the broker is down".
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far, including those turned away while paused. */
  readonly attempts: number;
  /** Connections currently piped through. */
  readonly live: number;
  /** Destroys every live connection, both sides. */
  cutAll(): void;
  /**
   * Stops forwarding on every live connection, both ways, without closing anything: a
   * half-open connection or a peer that stopped reading, as only heartbeats or timeouts detect.
   * New connections are piped as usual.
   */
  freezeAll(): void;
  /**
   * freezeAll(), and new connections are accepted and then held silently (nothing forwarded,
   * nothing closed) until resume(): a peer gone behind a black-holing network, as only
   * timeouts detect, for old and new connections alike.
   */
  blackHole(): void;
  /** Turns new connections away (closed on accept) until resume(). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let paused = false;
  let holding = false;
  let attempts = 0;
  /** Sockets of frozen pairs and held connections: destroyed by cutAll() and close(). */
  const frozen = new Set<net.Socket>();
  const server = net.createServer((client) => {
    attempts++;
    if (paused) {
      client.destroy();
      return;
    }
    if (holding) {
      client.pause();
      client.on('error', () => undefined).on('close', () => frozen.delete(client));
      frozen.add(client);
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const cutAll = () => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
    for (const s of [...frozen]) s.destroy();
    frozen.clear();
  };
  const freezeAll = () => {
    for (const pair of [...pairs]) {
      const [client, upstream] = pair;
      pairs.delete(pair);
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      // Not even the broker's own close (its heartbeat timeout) may reach the client.
      for (const s of pair) {
        s.removeAllListeners('close').removeAllListeners('error');
        s.on('error', () => undefined).on('close', () => frozen.delete(s));
        frozen.add(s);
      }
    }
  };
  return {
    port,
    get attempts() {
      return attempts;
    },
    get live() {
      return pairs.size;
    },
    cutAll,
    freezeAll,
    blackHole: () => {
      holding = true;
      freezeAll();
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      holding = false;
    },
    close: () => {
      cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
