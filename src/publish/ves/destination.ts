/**
 * VesDestination: VES events to each VIM's collector. A record's topic is the VIM id, its json
 * one VES event; the collector (endpoint, credentials) is looked up at send time, so a changed
 * VES agent configuration applies to the next event.
 *
 * Events are batched per collector and per domain (the collector refuses a batch mixing domains
 * since 1.10.0): one event goes as {"event": ...} to the endpoint, several as
 * {"eventList": [...]} to <endpoint>/eventBatch. Any 2xx is accepted (the collector answers
 * 202); network errors, timeouts, 408, 429 and 5xx are retried with backoff (Retry-After
 * honoured) for up to ves.maxRetryMs; any other 4xx refuses the batch for good with the
 * collector's answer. The classifier, the retry plan, the backoff and the batch assembly are
 * the DMaaP publisher's own (src/publish/classify.ts, plan.ts, backoff.ts, batch.ts).
 */
import { drainedWithin } from '../drain.js';
import { readFileSync } from 'node:fs';
import PQueue from 'p-queue';
import { RelayError } from '../../errors.js';
import type { VesSubscription } from '../../ves/types.js';
import { BatchAssembler, type Sized } from '../batch.js';
import { classifyError, classifyResponse, describeError, type Outcome } from '../classify.js';
import type { Destination, DestinationHealth, OutboundRecord } from '../destination.js';
import { OutageTracker } from '../outage.js';
import { planAfter, type PeerCodes, type Plan } from '../plan.js';
import { CollectorClients, collectorKey } from './collectors.js';
import { resolveVesOptions, type ResolvedVesOptions, type VesDestinationOptions } from './options.js';

interface Entry extends Sized {
  readonly json: string;
  readonly vimId: string;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  settled: boolean;
}

interface Group {
  readonly key: string;
  readonly collector: VesSubscription;
  /** The endpoint: the "topic" of hooks and logs (it carries no credentials: the schema forbids a user part). */
  readonly label: string;
}

interface Batch {
  readonly group: Group;
  readonly items: readonly Entry[];
  readonly attempt: number;
  readonly failingSince?: number;
}

const PEER: PeerCodes = {
  rejected: 'VES_REJECTED',
  expired: 'VES_RETRY_EXPIRED',
  name: 'the VES collector',
  maxRetryKey: 'ves.maxRetryMs',
};
/** {"eventList":} around the `[...]` the assembler counts. */
const BATCH_ENVELOPE_BYTES = 14;

const closedError = (): RelayError =>
  new RelayError('PUBLISHER_CLOSED', 'the VES destination closed before the collector accepted the event');

export class VesDestination implements Destination {
  readonly name = 'ves' as const;
  private readonly o: ResolvedVesOptions;
  private readonly clients: CollectorClients;
  private readonly queue: PQueue;
  private readonly assembler: BatchAssembler<Entry>;
  private readonly groups = new Map<string, Group>();
  private readonly lingerTimers = new Map<string, NodeJS.Timeout>();
  /** Groups whose linger ran out while every request slot was busy. */
  private readonly deferred = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly unsettled = new Set<Entry>();
  private readonly abort = new AbortController();
  private readonly outage: OutageTracker;
  private closed = false;
  private finished = false;
  private closing?: Promise<void>;
  private onDrained?: () => void;

  constructor(options: VesDestinationOptions) {
    this.o = resolveVesOptions(options);
    // Read once here so that a missing CA stops the start, instead of failing every request.
    if (this.o.caFile) readCaOrThrow(this.o.caFile);
    this.clients = new CollectorClients({
      caFile: this.o.caFile,
      timeoutMs: this.o.timeoutMs,
      maxSockets: this.o.maxInFlightRequests,
    });
    this.queue = new PQueue({ concurrency: this.o.maxInFlightRequests });
    this.assembler = new BatchAssembler({
      maxMessages: this.o.batchMaxMessages,
      maxBytes: Math.max(1, this.o.batchMaxBytes - BATCH_ENVELOPE_BYTES),
    });
    this.outage = new OutageTracker('ves', this.o.logger, { summaryEveryMs: this.o.outageSummaryEveryMs });
    this.queue.on('next', () => this.flushDeferred());
  }

  send(record: OutboundRecord): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.unsettled.size >= this.o.maxPending) {
      return Promise.reject(
        new RelayError(
          'PUBLISHER_OVERLOADED',
          `the VES destination holds ${this.o.maxPending} unsettled events; refusing more`,
        ),
      );
    }
    const collector = this.o.collectorFor(record.topic);
    if (!collector) {
      // The configuration was deleted while the event was on its way: VES events for that VIM stop.
      this.o.logger.info('VES event dropped: the VIM has no VES agent configuration any more', { vim: record.topic });
      return Promise.resolve();
    }
    const domain = domainOf(record.json);
    if (!domain)
      return Promise.reject(
        new RelayError('VES_REJECTED', `VES event for VIM ${record.topic} has no commonEventHeader.domain; not sent`),
      );
    const group = this.group(collector, domain);
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        json: record.json,
        vimId: record.topic,
        bytes: Buffer.byteLength(record.json),
        resolve,
        reject,
        settled: false,
      };
      this.unsettled.add(entry);
      const sealed = this.assembler.add(group.key, entry);
      if (sealed.length > 0) {
        this.stopLinger(group.key);
        for (const items of sealed) this.dispatch({ group, items, attempt: 0 });
      }
      if (this.assembler.has(group.key) && !this.lingerTimers.has(group.key)) {
        this.lingerTimers.set(
          group.key,
          setTimeout(() => this.onLinger(group.key), this.o.lingerMs),
        );
      }
    });
  }

  health(): DestinationHealth {
    return this.outage.health();
  }

  pending(): number {
    return this.unsettled.size;
  }

  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    for (const key of this.assembler.topics()) this.flush(key);
    if (this.unsettled.size > 0) await drainedWithin(deadlineMs, (drained) => (this.onDrained = drained));
    this.finished = true;
    this.abort.abort(closedError());
    this.queue.clear();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    for (const entry of [...this.unsettled]) this.settle(entry, () => entry.reject(closedError()));
    this.clients.closeAll();
  }

  private group(collector: VesSubscription, domain: string): Group {
    const key = `${collectorKey(collector)}\u0000${domain}`;
    let g = this.groups.get(key);
    // A group is kept per key; the collector object is refreshed so a new password is used at once.
    if (!g || g.collector !== collector) {
      g = { key, collector, label: collector.endpoint };
      this.groups.set(key, g);
    }
    return g;
  }

  private onLinger(key: string): void {
    this.lingerTimers.delete(key);
    // With every slot busy, sealing now would only make the batch queue; let it grow until one frees.
    if (!this.closed && !this.slotFree()) this.deferred.add(key);
    else this.flush(key);
  }

  private slotFree(): boolean {
    return this.queue.size === 0 && this.queue.pending < this.o.maxInFlightRequests;
  }

  private flushDeferred(): void {
    if (this.deferred.size === 0 || !this.slotFree()) return;
    for (const key of [...this.deferred]) this.flush(key);
  }

  private flush(key: string): void {
    this.stopLinger(key);
    const items = this.assembler.take(key);
    const group = this.groups.get(key);
    if (items && group) this.dispatch({ group, items, attempt: 0 });
  }

  private stopLinger(key: string): void {
    clearTimeout(this.lingerTimers.get(key));
    this.lingerTimers.delete(key);
    this.deferred.delete(key);
  }

  private dispatch(batch: Batch): void {
    if (this.finished) return;
    this.queue
      .add(() => this.request(batch))
      .catch((err: unknown) => {
        // Only a bug (or a throwing hook) lands here; the callers hear of it rather than wait forever.
        const error = err instanceof Error ? err : new Error(String(err));
        for (const entry of batch.items) this.settle(entry, () => entry.reject(error));
      });
  }

  private async request(batch: Batch): Promise<void> {
    const items = batch.items.filter((e) => !e.settled);
    if (items.length === 0 || this.finished) return;
    const { group } = batch;
    const started = performance.now();
    let outcome: Outcome;
    let status: number | undefined;
    let error: string | undefined;
    const [path, body] =
      items.length === 1
        ? ['', `{"event":${items[0].json}}`]
        : ['/eventBatch', `{"eventList":[${items.map((e) => e.json).join(',')}]}`];
    try {
      const res = await this.clients.use(group.key, group.collector, (c) => c.post(path, body, this.abort.signal));
      status = res.status;
      outcome = classifyResponse(res.status, res.headers, res.body, items.length);
    } catch (err) {
      error = describeError(err);
      outcome = classifyError(err);
    }
    if (this.finished) return;
    this.o.hooks?.onRequest?.({
      destination: 'ves',
      topic: group.label,
      count: items.length,
      status,
      error,
      durationMs: performance.now() - started,
      outcome: outcome.kind,
    });
    const plan = planAfter(outcome, { ...batch, items }, status, Date.now(), { ...this.o, peer: PEER });
    // A refusal of one batch says nothing of reachability; an answer that needs a resend does,
    // also the last one of a retry window that expires with it.
    if (outcome.kind === 'success') this.outage.success();
    else if (outcome.kind !== 'permanent')
      this.outage.failure(group.label, outcome.reason, plan.resend[0]?.delayMs ?? 0, this.unsettled.size);
    this.apply(group, plan);
  }

  private apply(group: Group, plan: Plan<Entry>): void {
    for (const entry of plan.accepted) this.settle(entry, () => entry.resolve());
    const refused = plan.refused;
    if (refused) {
      const error = new RelayError(
        refused.error.code,
        `VES collector ${group.label} (VIM ${refused.items[0]?.vimId}): ${refused.error.message}`,
      );
      this.o.logger.warn('VES collector refused events', {
        destination: 'ves',
        topic: group.label,
        code: error.code,
        reason: refused.error.message,
        count: refused.items.length,
      });
      for (const entry of refused.items) this.settle(entry, () => entry.reject(error));
    }
    for (const next of plan.resend) {
      this.o.hooks?.onRetry?.({
        destination: 'ves',
        topic: group.label,
        count: next.items.length,
        reason: next.reason,
        delayMs: next.delayMs,
      });
      const batch: Batch = { group, items: next.items, attempt: next.attempt, failingSince: next.failingSince };
      if (next.delayMs <= 0) {
        this.dispatch(batch);
        continue;
      }
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.dispatch(batch);
      }, next.delayMs);
      this.retryTimers.add(timer);
    }
  }

  private settle(entry: Entry, how: () => void): void {
    if (entry.settled) return;
    entry.settled = true;
    this.unsettled.delete(entry);
    how();
    if (this.unsettled.size === 0) this.onDrained?.();
  }
}

function domainOf(json: string): string | undefined {
  try {
    const domain = (JSON.parse(json) as { commonEventHeader?: { domain?: unknown } }).commonEventHeader?.domain;
    return typeof domain === 'string' && domain !== '' ? domain : undefined;
  } catch {
    return undefined;
  }
}

function readCaOrThrow(path: string): void {
  try {
    readFileSync(path);
  } catch (err) {
    throw new RelayError(
      'CONFIG_INVALID',
      `ves.caFile: cannot read ${path}: ${(err as Error).message}; point it at a PEM CA bundle or leave it empty for the system CAs`,
    );
  }
}
