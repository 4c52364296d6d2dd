/**
 * Every metric the Grafana dashboard and the PrometheusRule use exists: in the relay's registry
 * (src/daemon/metrics.ts, as GET /metrics serves it), or, for rabbitmq_*, on the VIM brokers'
 * exporter where the alert says so. Expressions are parsed with Prometheus's own PromQL grammar.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parser } from '@prometheus-io/lezer-promql';
import { createRelayMetrics, METRIC_PREFIX } from '../../../src/daemon/metrics.js';
import { ROOT } from '../../helpers/daemon.js';

/**
 * Metrics the destinations work (Kafka, VES) adds, used here ahead of it. When the registry has
 * one, the last test fails: move it out of this list (the integrator's switch).
 */
/** Prometheus's own series about a scrape, not the relay's. */
const PROMETHEUS_OWN = ['up'];

interface Rule { alert: string; expr: string; for?: string; annotations: Record<string, string> }
const rules = (parse(readFileSync(path.join(ROOT, 'deploy/k8s/components/monitoring/prometheusrule.yaml'), 'utf8')) as {
  spec: { groups: { rules: Rule[] }[] };
}).spec.groups.flatMap((g) => g.rules);

interface Panel { type: string; title: string; targets?: { expr: string }[]; panels?: Panel[] }
const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/k8s/components/monitoring/vim-event-relay.json'), 'utf8')) as {
  panels: Panel[]; templating: { list: { name: string; type: string; query?: { query: string } }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');

/** The metric names an expression selects; fails on any PromQL syntax error. */
function metricsOf(expr: string): string[] {
  // Grafana's interval variables are durations where PromQL wants one.
  const promql = expr.replace(/\$__(rate_)?interval/g, '5m');
  const tree = parser.parse(promql);
  const names: string[] = [];
  const errors: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: "${promql.slice(Math.max(0, n.from - 10), n.to + 10)}"`);
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') names.push(promql.slice(n.from, n.to));
    },
  });
  if (errors.length) throw new Error(`not valid PromQL: ${expr}\n${errors.join('\n')}`);
  return names;
}

/** `label_values(selector, label)`: Grafana's variable query; the selector is PromQL. */
function variableMetrics(query: string): string[] {
  const m = /^label_values\((.+),\s*\w+\)$/.exec(query);
  if (!m) throw new Error(`unexpected variable query: ${query}`);
  return metricsOf(m[1]);
}

let registry: Set<string>;
beforeAll(async () => {
  const metrics = await createRelayMetrics().registry.getMetricsAsJSON();
  // A histogram is served as its _bucket, _sum and _count series, a summary as itself, _sum and
  // _count. (prom-client's types say an enum; at run time the type is its text.)
  const series: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };
  registry = new Set(metrics.flatMap((m) => (series[String(m.type)] ?? ['']).map((s) => `${m.name}${s}`)));
});

const dashboardMetrics = [
  ...panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsOf(t.expr))),
  ...dashboard.templating.list.filter((v) => v.type === 'query').flatMap((v) => variableMetrics(v.query!.query)),
];

describe('deploy/k8s/components/monitoring/vim-event-relay.json', () => {
  it('has a query in every panel, each valid PromQL', () => {
    expect(panels.length).toBeGreaterThanOrEqual(10);
    expect(panels.filter((p) => !p.targets?.length).map((p) => p.title)).toEqual([]);
  });

  it("uses only the relay's metrics (and the announced destination ones)", () => {
    const unknown = dashboardMetrics.filter((m) => !registry.has(m));
    expect(unknown).toEqual([]);
  });

  it("shows every metric of the relay's own (the README's Metrics table)", () => {
    const relay = [...registry].filter((m) => m.startsWith(METRIC_PREFIX));
    const shown = new Set(dashboardMetrics.map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    expect(relay.filter((m) => !shown.has(m.replace(/_(bucket|sum|count)$/, '')))).toEqual([]);
  });
});

describe('PrometheusRule vim-event-relay', () => {
  it.each(rules.map((r) => [r.alert, r] as const))('%s uses metrics that exist', (_alert, rule) => {
    const used = metricsOf(rule.expr);
    expect(used.length).toBeGreaterThan(0);
    const broker = used.filter((m) => m.startsWith('rabbitmq_'));
    // The broker's metrics are allowed where the alert says where they come from.
    if (broker.length) expect(rule.annotations.description).toMatch(/RabbitMQ exporter of each VIM's broker/);
    const unknown = used.filter((m) => !registry.has(m) && !PROMETHEUS_OWN.includes(m) && !m.startsWith('rabbitmq_'));
    expect(unknown).toEqual([]);
  });

  it('alerts on a VIM unreachable, a destination failing, dead letters and a queue without consumer', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    expect(exprs).toContain('vim_event_relay_vim_connected == 0');
    expect(exprs).toContain('vim_event_relay_dmaap_requests_total{class!="2xx"}');
    expect(exprs).toContain('vim_event_relay_destination_up == 0');
    expect(exprs).toContain('vim_event_relay_notifications_dead_lettered_total');
    expect(exprs).toMatch(/rabbitmq_queue_messages_ready\{queue=~"vim-event-relay/);
    expect(exprs).toMatch(/rabbitmq_queue_consumers\{queue=~"vim-event-relay/);
    expect(rules.find((r) => r.alert === 'VimEventRelayVimUnreachable')).toMatchObject({ for: '5m' });
  });
});

it('(the check sees a wrong name and a syntax error)', () => {
  expect(metricsOf('sum by (vim) (rate(vim_event_relay_no_such_total{job="x"}[$__rate_interval]))')).toEqual(['vim_event_relay_no_such_total']);
  expect(() => metricsOf('sum by (vim (rate(x[5m]))')).toThrow(/not valid PromQL/);
});

