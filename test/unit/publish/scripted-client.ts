/**
 * A BatchPoster a test scripts (publisher.test.ts), and a way to read how a send() promise
 * settled without awaiting it: the publisher's decisions are about timing, so a test looks at
 * every promise at exact fake-clock instants.
 */
import type { SizedJson } from '../../../src/publish/batch.js';
import type { BatchPoster, DmaapResponse } from '../../../src/publish/dmaap-client.js';

export interface Call {
  readonly topic: string;
  readonly jsons: readonly string[];
  readonly signal?: AbortSignal;
  reply(status: number, body?: string, headers?: Record<string, string>): void;
  fail(err: Error): void;
}

export type Responder = (call: Call) => void;

/** Records every POST; each answers when the test (or `responder`, if set) replies to it. */
export class ScriptedClient implements BatchPoster {
  readonly calls: Call[] = [];
  closed = 0;
  constructor(public responder?: Responder) {}

  postBatch(topic: string, messages: readonly SizedJson[], signal?: AbortSignal): Promise<DmaapResponse> {
    return new Promise<DmaapResponse>((resolve, reject) => {
      const call: Call = {
        topic,
        jsons: messages.map((m) => m.json),
        signal,
        reply: (status, body = '', headers = {}) => resolve({ status, headers, body, durationMs: 1 }),
        fail: reject,
      };
      this.calls.push(call);
      this.responder?.(call);
    });
  }

  close(): void {
    this.closed++;
  }
}

/** How each promise settled, readable synchronously after a flush. */
export type Outcome = { kind: 'pending' } | { kind: 'resolved' } | { kind: 'rejected'; error: Error };
export function watch(p: Promise<void>): { readonly now: Outcome } {
  const box: { now: Outcome } = { now: { kind: 'pending' } };
  p.then(
    () => (box.now = { kind: 'resolved' }),
    (error: Error) => (box.now = { kind: 'rejected', error }),
  );
  return box;
}
export const kinds = (ws: readonly { readonly now: Outcome }[]): string[] => ws.map((w) => w.now.kind);
export function rejection(w: { readonly now: Outcome }): Error {
  if (w.now.kind !== 'rejected') throw new Error(`expected a rejection, got ${w.now.kind}`);
  return w.now.error;
}
