/**
 * A minimal AMQP 1.0 peer on 127.0.0.1 built with rhea's server side, standing in for
 * qpid-dispatch-router in tests of oslo's routable addresses (RabbitMQ 3.x cannot attach
 * them): it records logins, links, credit and the outcomes the relay sends back.
 */
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import rhea from 'rhea';
import type { Connection, EventContext, Message, Sender, Delivery as RheaDelivery } from 'rhea';

export interface PeerOutcome {
  readonly kind: 'accepted' | 'rejected' | 'released' | 'modified';
  readonly delivery: RheaDelivery;
  readonly address: string;
}

export interface Peer {
  readonly port: number;
  readonly logins: string[];
  readonly connections: Connection[];
  /** One per receiver the relay attached (our side is the sender). */
  readonly links: Sender[];
  readonly outcomes: PeerOutcome[];
  send(address: string, message: Message): RheaDelivery;
  close(): Promise<void>;
}

/** Link credit the relay has granted on this link (rhea keeps it; its typings omit it). */
export function creditOf(link: Sender): number {
  return (link as unknown as { credit: number }).credit;
}

export async function startPeer(tls?: { key: Buffer; cert: Buffer }): Promise<Peer> {
  const container = rhea.create_container({ id: 'fake-dispatch-router' });
  const logins: string[] = [];
  const connections: Connection[] = [];
  const links: Sender[] = [];
  const outcomes: PeerOutcome[] = [];
  container.sasl_server_mechanisms.enable_anonymous();
  (
    container.sasl_server_mechanisms as unknown as { enable_plain(cb: (u: string, p: string) => boolean): void }
  ).enable_plain((user, password) => {
    logins.push(user);
    return user === 'relay' && password === 'relay-pw';
  });
  container.on('connection_open', (ctx: EventContext) => connections.push(ctx.connection));
  container.on('sender_open', (ctx: EventContext) => ctx.sender && links.push(ctx.sender));
  container.on('disconnected', () => undefined);
  container.on('error', () => undefined);
  for (const kind of ['accepted', 'rejected', 'released', 'modified'] as const) {
    container.on(kind, (ctx: EventContext) =>
      outcomes.push({ kind, delivery: ctx.delivery!, address: ctx.sender?.source?.address ?? '' }),
    );
  }
  const options = {
    port: 0,
    host: '127.0.0.1',
    require_sasl: true,
    ...(tls ? { transport: 'tls' as const, key: tls.key, cert: tls.cert } : {}),
  };
  const server: Server = container.listen(options as Parameters<typeof container.listen>[0]);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    logins,
    connections,
    links,
    outcomes,
    send(address, message) {
      const link = links.find((l) => l.source?.address === address && l.is_open());
      if (!link) throw new Error(`no open link for ${address}`);
      return link.send(message);
    },
    async close() {
      for (const c of connections) if (!c.is_closed()) c.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
