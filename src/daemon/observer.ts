/**
 * Turns what the pipeline, the publisher and the listeners report into the Prometheus metrics
 * of src/admin/metrics.ts. Publisher hooks run on its hot path and must never throw.
 */
import type { Registry } from 'prom-client';
import { createRelayMetrics, type DmaapRequestClass, type RelayMetrics } from '../admin/metrics.js';
import type { PublisherHooks, RequestEvent } from '../publish/options.js';
import type { ListenerStatus } from '../transport/types.js';
import type { PipelineObserver } from './pipeline.js';

function requestClass(e: RequestEvent): DmaapRequestClass {
  if (e.status === undefined) return 'error';
  if (e.status >= 200 && e.status < 300) return '2xx';
  return e.status >= 500 ? '5xx' : '4xx';
}

export class MetricsObserver implements PipelineObserver {
  readonly m: RelayMetrics = createRelayMetrics();

  get registry(): Registry {
    return this.m.registry;
  }

  consumed(vim: string): void {
    this.m.notificationsConsumed.inc({ vim });
  }
  filtered(vim: string): void {
    this.m.notificationsFiltered.inc({ vim });
  }
  published(vim: string, topic: string, seconds: number): void {
    this.m.notificationsPublished.inc({ vim, topic });
    this.m.publishLatency.observe({ topic }, seconds);
  }
  deadLettered(vim: string, code: string): void {
    this.m.notificationsDeadLettered.inc({ vim, code });
  }
  duplicate(vim: string): void {
    this.m.duplicatesSuppressed.inc({ vim });
  }
  inFlight(vim: string, delta: 1 | -1): void {
    this.m.inFlight.inc({ vim }, delta);
  }

  vimStatus(vim: string, status: ListenerStatus): void {
    this.m.vimStatusChanges.inc({ vim, status });
    this.m.vimConnected.set({ vim }, status === 'REACHABLE' ? 1 : 0);
  }

  /** A deleted VIM's series go, so dashboards do not show a ghost. */
  forgetVim(vim: string): void {
    for (const g of [this.m.inFlight, this.m.vimConnected]) g.remove({ vim });
  }

  publisherHooks(): PublisherHooks {
    return {
      onRequest: (e) => {
        try {
          this.m.dmaapRequests.inc({ topic: e.topic, class: requestClass(e) });
        } catch {
          // a metric must never fail a publish
        }
      },
      onRetry: (e) => {
        try {
          this.m.publishRetries.inc({ topic: e.topic }, e.count);
        } catch {
          // as above
        }
      },
    };
  }
}
