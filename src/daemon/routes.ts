/**
 * Rendered messages -> the records each destination gets (pure). A subscription's `sink` names
 * the destination (absent = sinks.default); a Kafka record carries the key and headers that keep
 * one VM's events in one partition, in order, and say what it is without parsing it.
 */
import { RelayError } from '../errors.js';
import type { Match } from '../model/subscription.js';
import type { OutboundRecord, SinkName } from '../publish/destination.js';
import type { RenderedMatches, Routed } from '../steps/render.js';

export type { Routed };

export function routeMessages(
  vimId: string,
  messageId: string,
  rendered: RenderedMatches,
  defaultSink: SinkName,
): Routed[] {
  const out: Routed[] = [];
  for (const [m, r] of rendered) {
    if (r === null) continue;
    const destination = m.subscription.sink ?? defaultSink;
    const record: OutboundRecord =
      destination === 'kafka'
        ? { topic: m.subscription.topic, json: r.json, key: r.key, headers: kafkaHeaders(vimId, messageId, m) }
        : { topic: m.subscription.topic, json: r.json };
    out.push({ destination, record, subscription: m.subscription.id });
  }
  return out;
}

function kafkaHeaders(vimId: string, messageId: string, m: Match): Record<string, string> {
  return { message_id: messageId, vim_id: vimId, event: m.event, 'content-type': 'application/json' };
}

export function sinkNotConfigured(r: Routed): RelayError {
  return new RelayError(
    'SINK_NOT_CONFIGURED',
    `subscription ${r.subscription} routes topic ${r.record.topic} to ${r.destination}, which is not configured (set kafka.brokers, or change the subscription's sink)`,
  );
}
