/**
 * No Docker engine runs here, so the compose file is checked for structure and for agreeing with
 * the Dockerfile and the config it mounts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { ROOT } from '../../helpers/daemon.js';

type Service = { build?: string; image?: string; command?: string[]; ports?: string[]; volumes?: string[]; depends_on?: Record<string, unknown>; environment?: Record<string, string> };
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const { rabbitmq, dmaap, relay } = compose.services;

/** The relay's environment as compose passes it, with the operator's token exported. */
function composeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(relay!.environment ?? {})) env[k] = String(v).replace(/^\$\{VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN:\?.+\}$/, 'an-exported-token');
  return env;
}

describe('docker-compose.yml', () => {
  it('passes the admin token from the environment, refusing to start without it', () => {
    expect(relay!.environment?.VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN).toMatch(/^\$\{VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN:\?.+\}$/);
    // The published admin port of config/docker.json without a token: refused, naming the keys.
    expect(() => loadConfig(path.join(ROOT, 'config/docker.json'), {})).toThrow(/admin\.host .*admin\.authToken \(VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN\) is empty/);
    expect(loadConfig(path.join(ROOT, 'config/docker.json'), composeEnv()).admin.authToken).toBe('an-exported-token');
  });

  it('has RabbitMQ, a DMaaP and the relay built from the Dockerfile', () => {
    expect(rabbitmq?.image).toMatch(/^rabbitmq:/);
    expect(relay?.build).toBe('.');
    expect(dmaap?.command?.[0]).toBe('dmaap-dev');
  });

  it('mounts a config that is valid and points at the compose services', () => {
    const mount = relay!.volumes!.find((v) => v.includes('config'))!;
    const [hostPath, containerPath] = mount.split(':');
    expect(relay!.command).toEqual(['run', '--config', containerPath]);
    const cfg = loadConfig(path.join(ROOT, hostPath!), composeEnv());
    expect(new URL(cfg.dmaap.url).hostname).toBe('dmaap');
    expect(cfg.vims[0]!.transportUrl).toContain('@rabbitmq:5672');
    expect(cfg.admin.host).toBe('0.0.0.0');
    // The ports the services listen on are the ones published.
    expect(relay!.ports).toContain(`${cfg.admin.port}:${cfg.admin.port}`);
    const dmaapPort = new URL(cfg.dmaap.url).port;
    expect(dmaap!.command).toEqual(['dmaap-dev', '--host', '0.0.0.0', '--port', dmaapPort]);
    expect(dmaap!.ports).toContain(`${dmaapPort}:${dmaapPort}`);
    expect(rabbitmq!.ports).toContain('5672:5672');
  });

  it('keeps the store on a named volume at store.path', () => {
    const cfg = loadConfig(path.join(ROOT, 'config/docker.json'), composeEnv());
    const data = relay!.volumes!.find((v) => v.startsWith('relay-data:'))!;
    expect(path.dirname(cfg.store.path)).toBe(data.split(':')[1]);
    expect(compose.volumes).toHaveProperty('relay-data');
  });

  it('agrees with the Dockerfile: entrypoint, exposed admin port, shipped schemas', () => {
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    expect(dockerfile).toContain('EXPOSE 8080');
    expect(dockerfile).toContain('COPY schemas ./schemas'); // the daemon loads its JSON Schemas at run time
  });
});
