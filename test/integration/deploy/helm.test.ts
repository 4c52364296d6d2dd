/**
 * deploy/helm/vim-event-relay, rendered (`helm template`) and linted (`helm lint --strict`) by
 * Helm's own code (test/helpers/helm.ts): the same pod, config, disruption budget and Strimzi
 * objects as deploy/k8s's Strimzi overlays, rendered by kubectl kustomize; OOM's value keys;
 * the Strimzi objects against Strimzi's CRD schemas; the package's version everywhere.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../../helpers/daemon.js';
import { helm } from '../../helpers/helm.js';
import { strimziProblems } from '../../helpers/strimzi-crd.js';
import { tool } from '../../helpers/tools.js';
import { jest } from '@jest/globals';

jest.setTimeout(120_000);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const CHART = 'deploy/helm/vim-event-relay';
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJSON() as Obj).filter(Boolean);

/** The chart's value sets, each beside the kustomize overlay it must equal. */
const CASES = {
  strimzi: { set: [] as string[], overlay: 'overlays/strimzi' },
  'strimzi-mtls': { set: ['kafkaUser.authenticationType=tls'], overlay: 'overlays/strimzi-mtls' },
  'strimzi-replicas': { set: ['replicaCount=3', 'store.postgres=true'], overlay: 'overlays/strimzi-replicas' },
};
type Case = keyof typeof CASES;
const chart = new Map<Case, Obj[]>();
const kustomize = new Map<Case, Obj[]>();

beforeAll(async () => {
  for (const [name, c] of Object.entries(CASES) as [Case, (typeof CASES)[Case]][]) {
    chart.set(name, docs(await helm(['template', CHART, ...c.set.flatMap((s) => ['--set', s])])));
    const { stdout } = await promisify(execFile)(tool('kubectl'), ['kustomize', path.join(ROOT, 'deploy/k8s', c.overlay)]);
    kustomize.set(name, docs(stdout));
  }
});

const one = (objs: Obj[], kind: string) => {
  const list = objs.filter((o) => o.kind === kind);
  expect(list).toHaveLength(1);
  return list[0];
};
/** The pod spec, the config ConfigMap's name (kustomize adds a hash) and the env's order left out. */
const podSpec = (objs: Obj[]) => {
  const spec = structuredClone(one(objs, 'Deployment').spec.template.spec);
  for (const v of spec.volumes as { name: string; configMap?: { name: string } }[]) if (v.configMap) v.configMap.name = '<config>';
  // Patches append env entries in their own order; the set is what counts.
  for (const c of spec.containers as { env: { name: string }[] }[]) c.env.sort((a, b) => a.name.localeCompare(b.name));
  return spec as Record<string, unknown>;
};
const configOf = (objs: Obj[]) => {
  const cm = objs.filter((o) => o.kind === 'ConfigMap' && o.data?.['config.json']);
  expect(cm).toHaveLength(1);
  return JSON.parse(cm[0].data!['config.json']) as unknown;
};

it('helm lint --strict passes', async () => {
  const out = await helm(['lint', CHART]);
  expect(out).not.toMatch(/\[(ERROR|WARNING)\]/);
});

describe.each(Object.keys(CASES) as Case[])('%s', (name) => {
  it('renders the pod, its config and its disruption budget exactly as the kustomize overlay', () => {
    const [h, k] = [chart.get(name)!, kustomize.get(name)!];
    expect(podSpec(h)).toEqual(podSpec(k));
    expect(configOf(h)).toEqual(configOf(k));
    expect(one(h, 'Deployment').spec.replicas).toBe(one(k, 'Deployment').spec.replicas);
    expect(one(h, 'Deployment').spec.strategy).toEqual(one(k, 'Deployment').spec.strategy);
    expect(one(h, 'PodDisruptionBudget').spec).toEqual(one(k, 'PodDisruptionBudget').spec);
    expect(one(h, 'Service').spec).toEqual(one(k, 'Service').spec);
  });

  it("renders the overlay's KafkaUser and KafkaTopics, valid against Strimzi's schemas", () => {
    const strimzi = (objs: Obj[]) =>
      objs
        .filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/'))
        .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, cluster: o.metadata.labels!['strimzi.io/cluster'], spec: o.spec as unknown }))
        .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
    expect(strimzi(chart.get(name)!)).toEqual(strimzi(kustomize.get(name)!));
    expect(chart.get(name)!.filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/')).flatMap(strimziProblems)).toEqual([]);
  });

  it("labels every object as OOM does, with the package's version; the image is tagged with it", () => {
    for (const o of chart.get(name)!) {
      expect({ o: `${o.kind}/${o.metadata.name}`, ...o.metadata.labels }).toMatchObject({
        'app.kubernetes.io/name': 'vim-event-relay',
        'app.kubernetes.io/part-of': 'onap',
        'app.kubernetes.io/version': pkg.version,
      });
    }
    expect(one(chart.get(name)!, 'Deployment').spec.template.spec.containers[0].image).toMatch(new RegExp(`:${pkg.version.replace(/\./g, '\\.')}$`));
  });
});

it("the chart's version and appVersion are the package's", () => {
  const meta = parse(readFileSync(path.join(ROOT, CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  expect(meta).toMatchObject({ version: pkg.version, appVersion: pkg.version });
  const values = parse(readFileSync(path.join(ROOT, CHART, 'values.yaml'), 'utf8')) as { image: string };
  expect(values.image.endsWith(`:${pkg.version}`)).toBe(true);
});

it('Strimzi 0.46: kafkaUser.apiVersion kafka.strimzi.io/v1beta2, valid against 0.46.1\'s schemas', async () => {
  const objs = docs(await helm(['template', CHART, '--set', 'kafkaUser.apiVersion=kafka.strimzi.io/v1beta2'])).filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/'));
  expect(objs.map((o) => o.apiVersion)).toEqual(objs.map(() => 'kafka.strimzi.io/v1beta2'));
  expect(objs.flatMap(strimziProblems)).toEqual([]);
});

it('monitoring and serviceMesh: the ServiceMonitor (job from a label) and the AuthorizationPolicy', async () => {
  const objs = docs(
    await helm(['template', CHART, '--name', 'onap-relay', '--set', 'monitoring.serviceMonitor.enabled=true', '--set', 'serviceMesh.enabled=true', '--set', 'serviceMesh.authorizedPrincipals[0]=cluster.local/ns/onap/sa/onap-multicloud-vio']),
  );
  const svc = one(objs, 'Service');
  expect(svc.metadata.name).toBe('onap-relay-vim-event-relay');
  const sm = one(objs, 'ServiceMonitor');
  expect(svc.metadata.labels![sm.spec.jobLabel as string]).toBe('vim-event-relay');
  expect(Object.entries(sm.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => svc.metadata.labels![k] === v)).toBe(true);
  const ap = one(objs, 'AuthorizationPolicy');
  expect(ap.spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/onap/sa/onap-multicloud-vio']);
  expect(ap.spec.rules[1].to[0].operation.paths).toEqual(['/healthz', '/readyz', '/metrics']);
});

it('refuses replicas on the file store, and a KafkaUser named as the relay\'s own Secret', async () => {
  await expect(helm(['template', CHART, '--set', 'replicaCount=3'])).rejects.toThrow(/replicaCount above 1 needs store.postgres: true/);
  await expect(helm(['template', CHART, '--set', 'kafkaUser.name=vim-event-relay'])).rejects.toThrow(/kafkaUser.name must differ from secrets.name/);
});
