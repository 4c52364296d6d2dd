/**
 * deploy/k8s rendered as an operator renders it (`kubectl kustomize`, offline), every overlay and
 * the optional components composed: the objects, probes, security context, image, labels and
 * version, secrets as files; the Strimzi objects against Strimzi's CRD schemas; the rendered pod's
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
import { strimziProblems } from '../../helpers/strimzi-crd.js';
import { tool } from '../../helpers/tools.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
const K8S = path.join(ROOT, 'deploy/k8s');
/** Every optional component at once, on the Strimzi overlay with replicas, for Strimzi 0.46. */
const COMPOSED = 'composed: strimzi-replicas + strimzi-v1beta2 + monitoring + network-policy';
const TARGETS = ['base', 'overlays/replicas-postgres', 'overlays/monitoring', 'overlays/strimzi', 'overlays/strimzi-mtls', 'overlays/strimzi-replicas', COMPOSED];
const STRIMZI = ['overlays/strimzi', 'overlays/strimzi-mtls', 'overlays/strimzi-replicas', COMPOSED];
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** A kustomization of its own in a temp dir: the composition an operator's overlay would write. */
function composed(): string {
  const dir = tempDir('ver-kustomize-');
  const rel = (p: string) => path.relative(dir, path.join(K8S, p));
  const components = ['components/strimzi-v1beta2', 'components/monitoring', 'components/network-policy'];
  writeFileSync(path.join(dir, 'kustomization.yaml'), `resources: [${rel('overlays/strimzi-replicas')}]\ncomponents: [${components.map(rel).join(', ')}]\n`);
  return dir;
}

async function render(target: string): Promise<Obj[]> {
  const dir = target === COMPOSED ? composed() : path.join(ROOT, target.startsWith('deploy/') ? target : `deploy/k8s/${target}`);
  const { stdout } = await promisify(execFile)(tool('kubectl'), ['kustomize', dir]);
  return parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
}

const rendered = new Map<string, Obj[]>();
beforeAll(async () => {
  for (const t of [...TARGETS, 'deploy/strimzi/v1', 'deploy/strimzi/v1beta2']) rendered.set(t, await render(t));
}, 60_000);

/** What a Secret's file holds where the key takes a form: store.url a URL, the JAAS text Strimzi's. */
const SECRET_VALUES: Record<string, string> = {
  VIM_EVENT_RELAY_STORE_URL_FILE: 'postgres://relay:secret-of-store@postgres:5432/relay',
  VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG_FILE:
    'org.apache.kafka.common.security.scram.ScramLoginModule required username="vim-event-relay-ku" password="secret-of-jaas";',
};

/** mountPath -> Secret name, for every Secret volume the relay's container mounts. */
function secretVolumes(t: string): Map<string, string> {
  const pod = podOf(t).spec;
  const mounts = containerOf(t).volumeMounts as { name: string; mountPath: string }[];
  return new Map(
    (pod.volumes as { name: string; secret?: { secretName: string } }[])
      .filter((v) => v.secret)
      .map((v) => [mounts.find((m) => m.name === v.name)!.mountPath, v.secret!.secretName]),
  );
}
const secretMounts = (t: string) => new Set(secretVolumes(t).keys());

type Cfg = { sinks?: { default?: string }; kafka: { brokers: string[]; sasl?: { mechanism?: string }; ssl?: Record<string, string | boolean> } };
/** The relay's config ConfigMap (monitoring adds the Grafana dashboard's). */
const relayConfigMap = (t: string): Obj => {
  const list = of(t, 'ConfigMap').filter((c) => c.metadata.name.startsWith('vim-event-relay-config'));
  expect(list).toHaveLength(1);
  return list[0];
};
const relayConfig = (t: string): Cfg => JSON.parse(relayConfigMap(t).data!['config.json']) as Cfg;

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
    const cfg = JSON.parse(relayConfigMap(target).data!['config.json']) as { admin: { port: number; host: string } };
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

  it('labels every object as ONAP OOM does, with the package\'s version, and the selectors match the pods', () => {
    for (const o of rendered.get(target)!) {
      expect({ o: `${o.kind}/${o.metadata.name}`, ...o.metadata.labels }).toMatchObject({
        'app.kubernetes.io/name': 'vim-event-relay',
        'app.kubernetes.io/instance': expect.any(String) as string,
        'app.kubernetes.io/component': expect.any(String) as string,
        'app.kubernetes.io/part-of': 'onap',
        'app.kubernetes.io/managed-by': 'kustomize',
        // package.json's version, as the image tag.
        'app.kubernetes.io/version': pkg.version,
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
    expect(volume('config').configMap.name).toBe(relayConfigMap(target).metadata.name);
    expect(c.args).toEqual(['run', '--config', `${mount('config')}/config.json`]);
    expect(volume('secrets').secret.secretName).toBe('vim-event-relay');
    const cfg = JSON.parse(relayConfigMap(target).data!['config.json']) as { store: { path: string }; shutdown: { timeoutMs: number } };
    expect(volume('store').emptyDir).toBeDefined();
    expect(path.dirname(cfg.store.path)).toBe(mount('store'));
    // SIGTERM's drain (shutdown.timeoutMs) and the broker close (at most 5 s) fit in the grace period.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(cfg.shutdown.timeoutMs / 1000 + 5);
  });

  it('gives secrets only as <VAR>_FILE paths inside Secret volumes, never as values', () => {
    const c = containerOf(target);
    const env = c.env as { name: string; value?: string; valueFrom?: unknown }[];
    const secretVars = new Set(sensitiveKeys().map((k) => k.env));
    expect(env.filter((e) => secretVars.has(e.name)).map((e) => e.name)).toEqual([]);
    expect(env.filter((e) => e.valueFrom !== undefined).map((e) => e.name)).toEqual([]);
    const secretDirs = secretMounts(target);
    const files = env.filter((e) => e.name.endsWith('_FILE'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(secretFileVariables()).toContain(f.name);
      expect(secretDirs.has(path.dirname(f.value!))).toBe(true);
    }
    // Nor in the ConfigMap: no secret key with a value, no credentials in a URL.
    const cfgText = relayConfigMap(target).data!['config.json'];
    expect(cfgText).not.toMatch(/"(password|authToken|url)"\s*:\s*"[^"]*:[^"]*@/);
    expect(cfgText).not.toMatch(/"(password|authToken)"\s*:\s*"[^"]/);
  });

  it("is a pod the relay's config loader accepts (the Secret's files in a temp dir)", () => {
    const c = containerOf(target);
    const dir = tempDir('ver-k8s-');
    const cfgFile = path.join(dir, 'config.json');
    mkdirSync(path.join(dir, 'secrets'));
    // Files the config names (kafka.ssl.*File, dmaap.caFile...) are read at load, as run reads them.
    const named = (o: unknown): unknown => {
      if (!o || typeof o !== 'object') return o;
      for (const [k, v] of Object.entries(o)) {
        if (k.endsWith('File') && typeof v === 'string' && v !== '') {
          const local = path.join(dir, 'secrets', `${k}-${path.basename(v)}`);
          writeFileSync(local, '-----BEGIN CERTIFICATE-----\n');
          (o as Record<string, unknown>)[k] = local;
        } else named(v);
      }
      return o;
    };
    writeFileSync(cfgFile, JSON.stringify(named(JSON.parse(relayConfigMap(target).data!['config.json']))));
    const env: NodeJS.ProcessEnv = {};
    for (const e of c.env as { name: string; value: string }[]) {
      if (!e.name.endsWith('_FILE')) env[e.name] = e.value;
      else {
        env[e.name] = path.join(dir, 'secrets', path.basename(e.value));
        // A secret's file holds what its key takes: store.url a PostgreSQL URL, the others any text.
        const value = SECRET_VALUES[e.name] ?? `secret-of-${e.name}`;
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

  it.each(['overlays/monitoring', COMPOSED])(
    '%s: a ServiceMonitor on the Service\'s /metrics, its job from a label that survives renaming; the PrometheusRule; the Grafana dashboard',
    (t) => {
      const sm = one(t, 'ServiceMonitor');
      const svc = one(t, 'Service');
      expect(Object.entries(sm.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => svc.metadata.labels![k] === v)).toBe(true);
      expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'http-admin', path: '/metrics' })]);
      // The job label is the Service's app.kubernetes.io/name, whatever a namePrefix makes its name.
      const job = svc.metadata.labels![sm.spec.jobLabel as string];
      expect(job).toBe('vim-event-relay');
      const exprs = (one(t, 'PrometheusRule').spec.groups as { rules: { expr: string }[] }[]).flatMap((g) => g.rules.map((r) => r.expr));
      expect(exprs).toContain(`up{job="${job}"} == 0`);
      expect(exprs).toContain(`absent(up{job="${job}"})`);
      // kube-prometheus-stack's Grafana sidecar loads ConfigMaps labelled grafana_dashboard: "1".
      const dashboards = of(t, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
      expect(dashboards.map((c) => c.metadata.name)).toEqual(['vim-event-relay-dashboard']);
      const onDisk = readFileSync(path.join(K8S, 'components/monitoring/vim-event-relay.json'), 'utf8');
      expect(dashboards[0].data).toEqual({ 'vim-event-relay.json': onDisk });
      expect((JSON.parse(onDisk) as { schemaVersion: number }).schemaVersion).toBe(41);
    },
  );

  it('a namePrefix renames the objects and keeps the alerts\' job', async () => {
    const dir = tempDir('ver-kustomize-');
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `namePrefix: onap-\nresources: [${path.relative(dir, path.join(K8S, 'overlays/monitoring'))}]\n`,
    );
    const { stdout } = await promisify(execFile)(tool('kubectl'), ['kustomize', dir]);
    const objs = parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
    const svc = objs.find((o) => o.kind === 'Service')!;
    const sm = objs.find((o) => o.kind === 'ServiceMonitor')!;
    expect(svc.metadata.name).toBe('onap-vim-event-relay');
    expect(svc.metadata.labels![sm.spec.jobLabel as string]).toBe('vim-event-relay');
  });
});

describe('Strimzi', () => {
  const strimziObjects = (t: string) => rendered.get(t)!.filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/'));

  it.each(['deploy/strimzi/v1', 'deploy/strimzi/v1beta2', ...STRIMZI])('%s: the KafkaUser and KafkaTopics pass Strimzi\'s CRD schemas, unknown fields refused', (t) => {
    const objs = strimziObjects(t);
    expect(objs.map((o) => o.kind).sort()).toEqual(['KafkaTopic', 'KafkaTopic', 'KafkaUser']);
    const version = t === COMPOSED || t.endsWith('v1beta2') ? 'kafka.strimzi.io/v1beta2' : 'kafka.strimzi.io/v1';
    expect(objs.map((o) => o.apiVersion)).toEqual(objs.map(() => version));
    expect(objs.flatMap(strimziProblems)).toEqual([]);
  });

  it.each(STRIMZI)('%s: every subscription publishes to Kafka, as the KafkaUser vim-event-relay-ku, apart from the relay\'s own Secret', (t) => {
    const cfg = relayConfig(t);
    expect(cfg.sinks?.default).toBe('kafka');
    const user = one(t, 'KafkaUser');
    expect(user.metadata.name).toBe('vim-event-relay-ku');
    expect(podOf(t).spec.volumes.find((v: { name: string }) => v.name === 'secrets').secret.secretName).toBe('vim-event-relay');
    // The brokers are the bootstrap of the cluster the user and topics belong to.
    const cluster = user.metadata.labels!['strimzi.io/cluster'];
    expect(cfg.kafka.brokers).toEqual([`${cluster}-kafka-bootstrap:${user.spec.authentication.type === 'tls' ? 9093 : 9092}`]);
    for (const topic of of(t, 'KafkaTopic')) expect(topic.metadata.labels!['strimzi.io/cluster']).toBe(cluster);
  });

  it.each(['overlays/strimzi', 'overlays/strimzi-replicas', COMPOSED])('%s: SCRAM-SHA-512 on 9092, the JAAS text read as a file from the KafkaUser\'s Secret', (t) => {
    expect(relayConfig(t).kafka.sasl).toEqual({ mechanism: 'scram-sha-512' });
    expect(one(t, 'KafkaUser').spec.authentication).toEqual({ type: 'scram-sha-512' });
    const jaas = (containerOf(t).env as { name: string; value: string }[]).find((e) => e.name === 'VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG_FILE')!;
    expect(path.basename(jaas.value)).toBe('sasl.jaas.config');
    expect(secretVolumes(t).get(path.dirname(jaas.value))).toBe('vim-event-relay-ku');
  });

  it('overlays/strimzi-mtls: mutual TLS on 9093, the cluster CA and the user\'s certificate and key mounted as files', () => {
    const t = 'overlays/strimzi-mtls';
    const cfg = relayConfig(t);
    expect(cfg.kafka.sasl).toBeUndefined();
    expect(one(t, 'KafkaUser').spec.authentication).toEqual({ type: 'tls' });
    expect(cfg.kafka.ssl!.enabled).toBe(true);
    const secrets = secretVolumes(t);
    const cluster = one(t, 'KafkaUser').metadata.labels!['strimzi.io/cluster'];
    const from = (file: string) => ({ secret: secrets.get(path.dirname(file)), key: path.basename(file) });
    expect(from(cfg.kafka.ssl!.caFile as string)).toEqual({ secret: `${cluster}-cluster-ca-cert`, key: 'ca.crt' });
    expect(from(cfg.kafka.ssl!.certFile as string)).toEqual({ secret: 'vim-event-relay-ku', key: 'user.crt' });
    expect(from(cfg.kafka.ssl!.keyFile as string)).toEqual({ secret: 'vim-event-relay-ku', key: 'user.key' });
    // Each volume maps exactly the keys the config names.
    const vol = (name: string) => podOf(t).spec.volumes.find((v: { secret?: { secretName: string } }) => v.secret?.secretName === name).secret;
    expect(vol('vim-event-relay-ku').items.map((i: { key: string }) => i.key).sort()).toEqual(['user.crt', 'user.key']);
  });

  it('overlays/strimzi-replicas: three replicas on the shared PostgreSQL store', () => {
    const t = 'overlays/strimzi-replicas';
    expect(one(t, 'Deployment').spec.replicas).toBe(3);
    expect(one(t, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2 });
    expect(containerOf(t).env).toContainEqual({ name: 'VIM_EVENT_RELAY_STORE_URL_FILE', value: '/run/secrets/vim-event-relay/store-url' });
  });
});

describe('components/network-policy', () => {
  const t = COMPOSED;
  it('a NetworkPolicy: the admin port from the namespace and the monitoring namespace; egress to DNS, brokers, destinations, PostgreSQL', () => {
    const np = one(t, 'NetworkPolicy');
    const podLabels = podOf(t).metadata.labels as Record<string, string>;
    expect(Object.entries(np.spec.podSelector.matchLabels as Record<string, string>).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const portName = containerOf(t).ports[0].name as string;
    expect(np.spec.ingress).toEqual([
      { from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: portName, protocol: 'TCP' }] },
    ]);
    const egressPorts = (np.spec.egress as { ports: { port: number }[] }[]).flatMap((e) => e.ports.map((p) => p.port));
    // DNS; AMQP; Kafka (the config's bootstrap port), Message Router; PostgreSQL.
    const kafkaPort = Number(/:(\d+)$/.exec(relayConfig(t).kafka.brokers[0])![1]);
    expect(egressPorts).toEqual(expect.arrayContaining([53, 5672, 5671, kafkaPort, 3904, 5432]));
  });

  it('an Istio AuthorizationPolicy: the admin API for named principals, the open paths for all, on the container\'s port', () => {
    const ap = one(t, 'AuthorizationPolicy');
    expect(ap.apiVersion).toBe('security.istio.io/v1');
    const podLabels = podOf(t).metadata.labels as Record<string, string>;
    expect(Object.entries(ap.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(ap.spec.action).toBe('ALLOW');
    const port = String(containerOf(t).ports[0].containerPort);
    const [api, open] = ap.spec.rules as { from?: { source: { principals: string[] } }[]; to: { operation: { ports: string[]; paths?: string[]; methods?: string[] } }[] }[];
    expect(api.from![0].source.principals.every((p) => /^cluster\.local\/ns\/[\w-]+\/sa\/[\w-]+$/.test(p))).toBe(true);
    expect(api.to[0].operation).toEqual({ ports: [port] });
    expect(open.from).toBeUndefined();
    expect(open.to[0].operation).toEqual({ ports: [port], methods: ['GET'], paths: ['/healthz', '/readyz', '/metrics'] });
  });
});
