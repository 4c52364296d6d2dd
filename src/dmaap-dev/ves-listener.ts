/**
 * dmaap-dev as a VES collector, for demos and tests: POST /eventListener/v7 ({"event": ...})
 * and /eventListener/v7/eventBatch ({"eventList": [...]}, one domain per batch), validated
 * against the collector's own schema (schemas/ves/), 202 when accepted or 400 naming the
 * violation. As the DCAE collector does on Kafka, each accepted event is published on its
 * domain's topic as {"event": ...}: faults on unauthenticated.SEC_FAULT_OUTPUT, readable through
 * the consume API like any other topic. No auth: it is a development peer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkVesBody } from '../ves/schema.js';
import { readBody, sendJson } from './http.js';

export const SEC_FAULT_OUTPUT = 'unauthenticated.SEC_FAULT_OUTPUT';

/** The collector's default stream map (collector.properties, ves-dmaap-config.json). */
const TOPIC_OF_DOMAIN: Readonly<Record<string, string>> = {
  fault: SEC_FAULT_OUTPUT,
  heartbeat: 'unauthenticated.SEC_HEARTBEAT_OUTPUT',
  measurement: 'unauthenticated.VES_MEASUREMENT_OUTPUT',
};
const OTHER_TOPIC = 'unauthenticated.SEC_OTHER_OUTPUT';

/** The collector's error body shape (ApiException): requestError.ServiceException. */
function sendVesError(res: ServerResponse, status: number, text: string): void {
  sendJson(res, status, { requestError: { ServiceException: { messageId: 'SVC0002', text, variables: [] } } });
}

export interface VesListenerDeps {
  readonly maxBodyBytes: number;
  /** Appends messages to a topic (created when new). */
  readonly publish: (topic: string, messages: readonly string[]) => void;
}

/** Whether `parts` (the decoded path segments) is a VES listener path, and which body it takes. */
export function vesPathKind(parts: readonly string[]): 'event' | 'eventList' | undefined {
  if (parts[0] !== 'eventListener' || parts[1] !== 'v7') return undefined;
  if (parts.length === 2) return 'event';
  if (parts.length === 3 && parts[2] === 'eventBatch') return 'eventList';
  return undefined;
}

export async function handleVesPost(
  req: IncomingMessage,
  res: ServerResponse,
  kind: 'event' | 'eventList',
  deps: VesListenerDeps,
): Promise<void> {
  const read = await readBody(req, deps.maxBodyBytes);
  if (!read.ok) return sendVesError(res, 413, `Request too large: over ${deps.maxBodyBytes} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(read.body.toString('utf8'));
  } catch {
    return sendVesError(
      res,
      400,
      'Incorrect message content-type; only JSON is supported (the body is not valid JSON)',
    );
  }
  const check = checkVesBody(body, kind);
  if (!check.ok) return sendVesError(res, 400, `Bad Parameter (JSON does not conform to schema): ${check.reason}`);
  const byTopic = new Map<string, string[]>();
  for (const event of check.events) {
    const topic = TOPIC_OF_DOMAIN[event.commonEventHeader.domain] ?? OTHER_TOPIC;
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(JSON.stringify({ event }));
  }
  for (const [topic, messages] of byTopic) deps.publish(topic, messages);
  res.writeHead(202, { 'Content-Length': 0 });
  res.end();
}
