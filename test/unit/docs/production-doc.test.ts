/**
 * docs/production.md stays true: the files it names exist, the variables it names are the
 * relay's, and its alert table lists exactly the PrometheusRule's alerts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../../src/config/schema.js';
import { secretFileVariables } from '../../../src/config/secret-files.js';
import { ROOT } from '../../helpers/daemon.js';

const doc = readFileSync(path.join(ROOT, 'docs/production.md'), 'utf8');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
// The PostgreSQL store's key arrives with the replicas work (see test/integration/deploy/kustomize.test.ts).

describe('docs/production.md', () => {
  it('names only files that exist', () => {
    const named = new Set(
      [...doc.matchAll(/`((?:deploy|test|config)\/[\w./-]+|Dockerfile|docker-compose\.yml)`/g)].map((m) => m[1]),
    );
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((f) => !existsSync(path.join(ROOT, f)))).toEqual([]);
    const links = [...doc.matchAll(/\]\(\.\.\/([^)#]+)\)/g)].map((m) => m[1]);
    expect(links.filter((l) => !existsSync(path.join(ROOT, l)))).toEqual([]);
  });

  it('names only variables the relay reads', () => {
    const known = new Set(
      [...JSON.stringify(configSchema).matchAll(/"env":"(VIM_EVENT_RELAY_[A-Z0-9_]+)"/g)].map((m) => m[1]),
    );
    for (const v of [...secretFileVariables(), 'VIM_EVENT_RELAY_CONFIG']) known.add(v);
    const named = new Set(doc.match(/VIM_EVENT_RELAY_[A-Z0-9_]+/g));
    expect([...named].filter((v) => !known.has(v))).toEqual([]);
  });

  it("lists exactly the PrometheusRule's alerts", () => {
    const rule = parse(
      readFileSync(path.join(ROOT, 'deploy/k8s/components/monitoring/prometheusrule.yaml'), 'utf8'),
    ) as { spec: { groups: { rules: { alert: string }[] }[] } };
    const alerts = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
    const table = [...doc.matchAll(/^\| `(VimEventRelay\w+)` \|/gm)].map((m) => m[1]).sort();
    expect(table).toEqual(alerts);
  });

  it("is linked from the README's Running in production, with every section it points to", () => {
    const section = readme.slice(readme.indexOf('## Running in production'), readme.indexOf('## Development'));
    const anchors = [...section.matchAll(/docs\/production\.md#([\w-]+)/g)].map((m) => m[1]);
    expect(anchors.length).toBeGreaterThanOrEqual(5);
    const headings = new Set(
      [...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s+/g, '-'),
      ),
    );
    expect(anchors.filter((a) => !headings.has(a))).toEqual([]);
  });
});
