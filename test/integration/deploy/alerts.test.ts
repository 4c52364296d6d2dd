/**
 * The relay's alerts, judged by Prometheus's own promtool: the PrometheusRule's groups pass
 * `promtool check rules`, and `promtool test rules` runs alerts.promtool.yaml, where every alert
 * fires on its input and stays silent on a healthy one.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, tempDir } from '../../helpers/daemon.js';
import { run } from '../../helpers/tools.js';

interface Rule { alert: string; expr: string; annotations: Record<string, string> }
type Groups = { name: string; rules: Rule[] }[];
const RULE = path.join(ROOT, 'deploy/k8s/components/monitoring/prometheusrule.yaml');
const TESTS = path.join(ROOT, 'test/integration/deploy/alerts.promtool.yaml');
const groups = (parse(readFileSync(RULE, 'utf8')) as { spec: { groups: Groups } }).spec.groups;
const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));

/** promtool's verdict on the rule unit tests against `ruleGroups`: its output, and whether it passed. */
function promtoolTest(ruleGroups: Groups): { ok: boolean; output: string } {
  const dir = tempDir('ver-promtool-');
  // The descriptions are long prose; the unit tests compare the summaries (see the test file).
  const stripped = ruleGroups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({ ...r, annotations: { summary: r.annotations.summary } })),
  }));
  writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: stripped }));
  copyFileSync(TESTS, path.join(dir, 'alerts.promtool.yaml'));
  try {
    return { ok: true, output: run('promtool', ['test', 'rules', path.join(dir, 'alerts.promtool.yaml')]) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    if (!err.stdout && !err.stderr) throw e;
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

it('promtool check rules accepts every rule, templates included', () => {
  const file = path.join(tempDir('ver-promtool-'), 'rules.yaml');
  writeFileSync(file, stringify({ groups }));
  expect(run('promtool', ['check', 'rules', file])).toContain(`SUCCESS: ${alerts.length} rules found`);
});

it('promtool test rules: every alert fires on its input and stays silent when healthy', () => {
  const result = promtoolTest(groups);
  expect(result.output).toContain('SUCCESS');
  expect(result.ok).toBe(true);
});

it('the unit tests cover every alert, each firing on its input and silent on a healthy relay', () => {
  const tests = (parse(readFileSync(TESTS, 'utf8')) as {
      tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  }).tests;
  const healthy = tests.find((t) => t.name === 'a healthy relay and broker fire nothing')!;
  // On the healthy input every alert is asked, and none fires.
  expect(healthy.alert_rule_test!.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname).sort()).toEqual([...alerts].sort());
  const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const alert of alerts) {
    const fires = cases.filter((t) => t.alertname === alert && t.exp_alerts.length > 0);
    expect({ alert, fires: fires.length > 0 }).toEqual({ alert, fires: true });
  }
});

it('(the unit tests fail when a rule no longer fires as tested)', () => {
  const broken = groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => (r.alert === 'VimEventRelayVimUnreachable' ? { ...r, expr: 'vim_event_relay_vim_connected == 2' } : r)),
  }));
  const result = promtoolTest(broken);
  expect(result.ok).toBe(false);
  expect(result.output).toMatch(/alertname: VimEventRelayVimUnreachable/);
});

it('selects the job by the Service label the ServiceMonitor names as jobLabel, and has an absent() rule', () => {
  const sm = parse(readFileSync(path.join(ROOT, 'deploy/k8s/components/monitoring/servicemonitor.yaml'), 'utf8')) as {
    spec: { jobLabel: string; selector: { matchLabels: Record<string, string> } };
  };
  const job = sm.spec.selector.matchLabels[sm.spec.jobLabel];
  expect(job).toBe('vim-event-relay');
  const exprs = groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
  expect(exprs).toContain(`up{job="${job}"} == 0`);
  expect(exprs).toContain(`absent(up{job="${job}"})`);
});
