/**
 * deploy/k8s/components/admin-tls rendered with the base (and with the monitoring component):
 * the certificate's Secret mounted whole, its files named by variables the relay knows, the
 * probes and the ServiceMonitor on HTTPS.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { ROOT } from '../../helpers/daemon.js';
import { testCa, type TestCa } from '../../helpers/test-ca.js';

type Obj = { kind: string; spec?: any };
const dir = mkdtempSync(path.join(tmpdir(), 'admin-tls-overlay-'));
let ca: TestCa;
beforeAll(() => {
  ca = testCa('admin-tls-deploy-');
});
afterAll(() => {
  ca.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** An overlay as an operator writes one: the base plus components (kustomize wants relative paths). */
async function render(components: string[]): Promise<Obj[]> {
  const overlay = path.join(dir, components.join('-'));
  mkdirSync(overlay);
  const k8s = path.relative(overlay, path.join(ROOT, 'deploy/k8s'));
  writeFileSync(
    path.join(overlay, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${k8s}/base]`,
      `components: [${components.map((c) => `${k8s}/components/${c}`).join(', ')}]`,
    ].join('\n'),
  );
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', overlay]);
  return parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
}

it.each([[['admin-tls']], [['monitoring', 'admin-tls']]])('%j: probes on HTTPS, the Secret mounted, the files named', async (components) => {
  const objects = await render(components);
  const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
  const c = pod.containers[0];
  for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) expect(probe.httpGet.scheme).toBe('HTTPS');
  expect(c.readinessProbe.httpGet.path).toBe('/readyz');
  const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'admin-tls');
  // Whole, not subPath: kubelet updates the files in place only then.
  expect(mount).toEqual({ name: 'admin-tls', mountPath: '/run/tls/vim-event-relay-admin', readOnly: true });
  expect(pod.volumes.find((v: { name: string }) => v.name === 'admin-tls').secret.secretName).toBe('vim-event-relay-admin-tls');
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  expect(env.VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE).toBe('/run/tls/vim-event-relay-admin/tls.crt');
  expect(env.VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE).toBe('/run/tls/vim-event-relay-admin/tls.key');
  // The variables are the relay's: with real files where they point, the config loads with TLS on.
  const server = ca.issue(`deploy-${components.length}`);
  const cfg = loadConfig(undefined, {
    VIM_EVENT_RELAY_ADMIN_TLS_CERT_FILE: server.certFile,
    VIM_EVENT_RELAY_ADMIN_TLS_KEY_FILE: server.keyFile,
  });
  expect(cfg.admin.tls).toEqual({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: '' });
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor');
  if (components.includes('monitoring')) {
    expect(monitor!.spec.endpoints[0]).toMatchObject({
      scheme: 'https',
      tlsConfig: { serverName: 'vim-event-relay', ca: { secret: { name: 'vim-event-relay-admin-tls', key: 'ca.crt' } } },
    });
  } else expect(monitor).toBeUndefined();
});
