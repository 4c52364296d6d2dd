/**
 * deploy/k8s rendered as an operator renders it (`kubectl kustomize`, offline), every overlay:
 * the objects, probes, security context, image, labels and secrets; and the rendered pod's
 * config and environment accepted by the relay's own config loader.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { secretFileVariables, sensitiveKeys } from '../../../src/config/secret-files.js';
import { ROOT, tempDir } from '../../helpers/daemon.js';

/**
 * `<VAR>_FILE` variables the manifests use ahead of their config key: store.url (PostgreSQL
 * store, marked sensitive) comes with the replicas work. When the schema has it, the last test
 * fails: remove it from this list (the integrator's switch).
 */

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const K8S = path.join(ROOT, 'deploy/k8s');
const TARGETS = ['base', 'overlays/replicas-postgres', 'overlays/monitoring'];
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

async function render(target: string): Promise<Obj[]> {
  try {
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', path.join(K8S, target)]);
    return parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new Error('kubectl is not installed: it renders the manifests (kubectl kustomize)', { cause: e });
    throw e;
  }
}

const rendered = new Map<string, Obj[]>();
beforeAll(async () => {
  for (const t of TARGETS) rendered.set(t, await render(t));
}, 60_000);

const of = (t: string, kind: string) => rendered.get(t)!.filter((o) => o.kind === kind);
const one = (t: string, kind: string) => {
  const list = of(t, kind);
  expect(list).toHaveLength(1);
  return list[0];
};
const podOf = (t: string) => one(t, 'Deployment').spec.template;
const containerOf = (t: string) => podOf(t).spec.containers[0];

describe.each(TARGETS)('deploy/k8s/%s', (target) => {
  it('renders the relay: account, config, Deployment, Service, PodDisruptionBudget; no Secret', () => {
    const kinds = rendered.get(target)!.map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['ServiceAccount', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget']));
    // Secrets are referenced, created by the operator; none is inlined here, real or example.
    expect(kinds).not.toContain('Secret');
    expect(rendered.get(target)!.map((o) => JSON.stringify(o)).join('\n')).not.toMatch(/"kind":"Secret"|stringData/);
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness) on the admin port', () => {
    const c = containerOf(target);
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http-admin' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-admin' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-admin' });
    const cfg = JSON.parse(one(target, 'ConfigMap').data!['config.json']) as { admin: { port: number; host: string } };
    expect(c.ports).toEqual([{ name: 'http-admin', containerPort: cfg.admin.port, protocol: 'TCP' }]);
    expect(cfg.admin.host).toBe('0.0.0.0');
  });

  it('runs non-root, read-only, without privileges or capabilities, under RuntimeDefault seccomp, with resources', () => {
    const pod = podOf(target).spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = containerOf(target);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(c.resources.limits.memory).toBeDefined();
  });

  it("pins the image to the package's version, never latest", () => {
    const image = containerOf(target).image as string;
    const tag = /:([^:/]+)$/.exec(image)?.[1];
    expect(tag).toBe(pkg.version);
    expect(image).not.toMatch(/:latest$/);
  });

  it('labels every object as ONAP OOM does, and the selectors match the pods', () => {
    for (const o of rendered.get(target)!) {
      expect({ o: `${o.kind}/${o.metadata.name}`, ...o.metadata.labels }).toMatchObject({
        'app.kubernetes.io/name': 'vim-event-relay',
        'app.kubernetes.io/instance': expect.any(String) as string,
        'app.kubernetes.io/component': expect.any(String) as string,
        'app.kubernetes.io/part-of': 'onap',
        'app.kubernetes.io/managed-by': 'kustomize',
      });
    }
    const podLabels = podOf(target).metadata.labels as Record<string, string>;
    const selects = (sel: Record<string, string>) => Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    expect(selects(one(target, 'Deployment').spec.selector.matchLabels)).toBe(true);
    expect(selects(one(target, 'Service').spec.selector)).toBe(true);
    expect(selects(one(target, 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(one(target, 'Service').spec.ports).toEqual([{ name: 'http-admin', port: 8080, targetPort: 'http-admin', protocol: 'TCP' }]);
  });

  it('mounts config.json from the ConfigMap, the Secret as files, an emptyDir at the store path', () => {
    const pod = podOf(target).spec;
    const c = containerOf(target);
    const mount = (volume: string) => (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.name === volume)!.mountPath;
    const volume = (name: string) => (pod.volumes as { name: string; [k: string]: any }[]).find((v) => v.name === name)!;
    expect(volume('config').configMap.name).toBe(one(target, 'ConfigMap').metadata.name);
    expect(c.args).toEqual(['run', '--config', `${mount('config')}/config.json`]);
    expect(volume('secrets').secret.secretName).toBe('vim-event-relay');
    const cfg = JSON.parse(one(target, 'ConfigMap').data!['config.json']) as { store: { path: string }; shutdown: { timeoutMs: number } };
    expect(volume('store').emptyDir).toBeDefined();
    expect(path.dirname(cfg.store.path)).toBe(mount('store'));
    // SIGTERM's drain (shutdown.timeoutMs) and the broker close (at most 5 s) fit in the grace period.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(cfg.shutdown.timeoutMs / 1000 + 5);
  });

  it('gives secrets only as <VAR>_FILE paths inside the Secret volume, never as values', () => {
    const c = containerOf(target);
    const env = c.env as { name: string; value?: string; valueFrom?: unknown }[];
    const secretVars = new Set(sensitiveKeys().map((k) => k.env));
    expect(env.filter((e) => secretVars.has(e.name)).map((e) => e.name)).toEqual([]);
    const secretDir = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.name === 'secrets')!.mountPath;
    const files = env.filter((e) => e.name.endsWith('_FILE'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(secretFileVariables()).toContain(f.name);
      expect(path.dirname(f.value!)).toBe(secretDir);
    }
    // Nor in the ConfigMap: no secret key with a value, no credentials in a URL.
    const cfgText = one(target, 'ConfigMap').data!['config.json'];
    expect(cfgText).not.toMatch(/"(password|authToken|url)"\s*:\s*"[^"]*:[^"]*@/);
    expect(cfgText).not.toMatch(/"(password|authToken)"\s*:\s*"[^"]/);
  });

  it("is a pod the relay's config loader accepts (the Secret's files in a temp dir)", () => {
    const c = containerOf(target);
    const dir = tempDir('ver-k8s-');
    const cfgFile = path.join(dir, 'config.json');
    writeFileSync(cfgFile, one(target, 'ConfigMap').data!['config.json']);
    mkdirSync(path.join(dir, 'secrets'));
    const env: NodeJS.ProcessEnv = {};
    for (const e of c.env as { name: string; value: string }[]) {
      if (!e.name.endsWith('_FILE')) env[e.name] = e.value;
      else {
        env[e.name] = path.join(dir, 'secrets', path.basename(e.value));
        // A secret's file holds what its key takes: store.url a PostgreSQL URL, the others any text.
        const value = e.name === 'VIM_EVENT_RELAY_STORE_URL_FILE' ? 'postgres://relay:secret-of-store@postgres:5432/relay' : `secret-of-${e.name}`;
        writeFileSync(env[e.name]!, `${value}\n`);
      }
    }
    const cfg = loadConfig(cfgFile, env);
    expect(cfg.admin.authToken).toBe('secret-of-VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN_FILE');
    expect(cfg.log.format).toBe('json');
  });
});

describe('overlays', () => {
  it('replicas-postgres: three replicas spread over nodes, two kept through disruptions, store.url from the Secret', () => {
    const t = 'overlays/replicas-postgres';
    expect(one(t, 'Deployment').spec.replicas).toBe(3);
    expect(one(t, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2 });
    expect(one(t, 'PodDisruptionBudget').spec.maxUnavailable).toBeUndefined();
    expect(podOf(t).spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname' });
    expect(containerOf(t).env).toContainEqual({ name: 'VIM_EVENT_RELAY_STORE_URL_FILE', value: '/run/secrets/vim-event-relay/store-url' });
    expect(one('base', 'Deployment').spec.replicas).toBe(1);
  });

  it('monitoring: a ServiceMonitor on the Service\'s /metrics and the PrometheusRule', () => {
    const t = 'overlays/monitoring';
    const sm = one(t, 'ServiceMonitor');
    const svc = one(t, 'Service');
    expect(Object.entries(sm.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => svc.metadata.labels![k] === v)).toBe(true);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http-admin', path: '/metrics' })]);
    const rule = one(t, 'PrometheusRule');
    expect((rule.spec.groups[0].rules as { alert: string }[]).length).toBeGreaterThanOrEqual(4);
    // `up{job=...}`: a ServiceMonitor's job is its Service's name.
    expect(JSON.stringify(rule.spec)).toContain(`up{job=\\"${svc.metadata.name}\\"}`);
  });
});

