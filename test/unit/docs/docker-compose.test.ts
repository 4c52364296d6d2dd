/**
 * No Docker engine runs here, so the compose file is checked for structure and for agreeing with
 * the Dockerfile and the config it mounts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { ROOT } from '../../helpers/daemon.js';

type Service = {
  build?: string;
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  environment?: Record<string, string>;
};
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
/** The Dockerfile's instructions (continuations joined, comments dropped), one list per stage. */
function stages(text: string): Instruction[][] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Instruction[][] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    if (op.toUpperCase() === 'FROM') out.push([]);
    out[out.length - 1].push({ op: op.toUpperCase(), args: rest.join(' ') });
  }
  return out;
}
const [buildStage, runStage] = stages(dockerfile);
const ops = (stage: Instruction[] | undefined, op: string) =>
  (stage ?? []).filter((i) => i.op === op).map((i) => i.args);
const { rabbitmq, dmaap, relay } = compose.services;

/** The relay's environment as compose passes it, with the operator's token exported. */
function composeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(relay.environment ?? {}))
    env[k] = String(v).replace(/^\$\{VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN:\?.+\}$/, 'an-exported-token');
  return env;
}

describe('docker-compose.yml', () => {
  it('passes the admin token from the environment, refusing to start without it', () => {
    expect(relay.environment?.VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN).toMatch(
      /^\$\{VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN:\?.+\}$/,
    );
    // The published admin port of config/docker.json without a token: refused, naming the keys.
    expect(() => loadConfig(path.join(ROOT, 'config/docker.json'), {})).toThrow(
      /admin\.host .*admin\.authToken \(VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN\) is empty/,
    );
    expect(loadConfig(path.join(ROOT, 'config/docker.json'), composeEnv()).admin.authToken).toBe('an-exported-token');
  });

  it('has RabbitMQ, a DMaaP and the relay built from the Dockerfile', () => {
    expect(rabbitmq?.image).toMatch(/^rabbitmq:/);
    expect(relay?.build).toBe('.');
    expect(dmaap?.command?.[0]).toBe('dmaap-dev');
  });

  it('mounts a config that is valid and points at the compose services', () => {
    const mount = relay.volumes!.find((v) => v.includes('config'))!;
    const [hostPath, containerPath] = mount.split(':');
    expect(relay.command).toEqual(['run', '--config', containerPath]);
    const cfg = loadConfig(path.join(ROOT, hostPath), composeEnv());
    expect(new URL(cfg.dmaap.url).hostname).toBe('dmaap');
    expect(cfg.vims[0].transportUrl).toContain('@rabbitmq:5672');
    expect(cfg.admin.host).toBe('0.0.0.0');
    // The ports the services listen on are the ones published.
    expect(relay.ports).toContain(`${cfg.admin.port}:${cfg.admin.port}`);
    const dmaapPort = new URL(cfg.dmaap.url).port;
    expect(dmaap.command).toEqual(['dmaap-dev', '--host', '0.0.0.0', '--port', dmaapPort]);
    expect(dmaap.ports).toContain(`${dmaapPort}:${dmaapPort}`);
    expect(rabbitmq.ports).toContain('5672:5672');
  });

  it('keeps the store on a named volume at store.path', () => {
    const cfg = loadConfig(path.join(ROOT, 'config/docker.json'), composeEnv());
    const data = relay.volumes!.find((v) => v.startsWith('relay-data:'))!;
    expect(path.dirname(cfg.store.path)).toBe(data.split(':')[1]);
    expect(compose.volumes).toHaveProperty('relay-data');
  });

  it("mounts the store's volume on a directory the image creates for its user", () => {
    // A named volume copies the owner of the image's directory; a path the image lacks is
    // created root-owned, and the relay (USER node) then fails its first store write (EACCES).
    const dir = relay.volumes!.find((v) => v.startsWith('relay-data:'))!.split(':')[1];
    const runs = ops(runStage, 'RUN');
    const mkdir = runs.findIndex((r) => new RegExp(`mkdir -p ([^&;]* )?${dir}( |$)`).test(r));
    expect(mkdir).toBeGreaterThanOrEqual(0);
    expect(runs[mkdir]).toMatch(new RegExp(`chown (-R )?node(:node)? ${dir}( |$)`));
    const order = runStage.map((i) => i.op);
    expect(order.lastIndexOf('USER')).toBeGreaterThan(
      runStage.findIndex((i) => i.op === 'RUN' && i.args === runs[mkdir]),
    );
  });

  it('has a probe-able healthcheck in the image, and dmaap-dev (the same image) overrides it', () => {
    const [hc] = ops(runStage, 'HEALTHCHECK');
    expect(hc).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
    expect(ops(runStage, 'COPY')).toContain('deploy/docker/healthcheck.mjs ./healthcheck.mjs');
    const dmaapPort = new URL(
      loadConfig(path.join(ROOT, 'config/docker.json'), { VIM_EVENT_RELAY_ADMIN_AUTH_TOKEN: 'given-by-compose' }).dmaap
        .url,
    ).port;
    const dmaapHc = (dmaap as { healthcheck?: { test?: string[] } }).healthcheck?.test;
    expect(dmaapHc).toEqual(['CMD', 'node', '/app/healthcheck.mjs', `http://127.0.0.1:${dmaapPort}/topics`]);
  });

  it('builds with the dev dependencies and runs, as node, on a maintained Node LTS with production ones only', () => {
    const from = [buildStage, runStage].map((st) => st[0].args);
    // Node 20 left maintenance in April 2026; 22 and 24 are the LTS lines.
    for (const f of from) expect(f).toMatch(/^node:(22|24)(\.\d+)*-bookworm-slim\b/);
    expect(ops(buildStage, 'RUN')).toContain('npm ci --no-audit --no-fund');
    expect(ops(runStage, 'RUN').some((r) => r.startsWith('npm ci --omit=dev'))).toBe(true);
    expect(ops(runStage, 'COPY')).toContain('--from=build /app/dist ./dist');
    expect(ops(runStage, 'COPY').some((c) => c.includes('node_modules'))).toBe(false);
    expect(ops(runStage, 'USER')).toEqual(['node']);
  });

  it('sends the build every file the Dockerfile copies (.dockerignore leaves them in)', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = [buildStage, runStage]
      .flatMap((st) => ops(st, 'COPY'))
      .filter((c) => !c.startsWith('--from'))
      .flatMap((c) => c.split(' ').slice(0, -1));
    expect(sources).toContain('src');
    expect(sources.filter((src) => ignored.some((i) => src === i || src.startsWith(`${i}/`)))).toEqual([]);
    for (const src of sources) expect(existsSync(path.join(ROOT, src))).toBe(true);
  });

  it('agrees with the Dockerfile: entrypoint, exposed admin port, shipped schemas', () => {
    // One GC thread (docs/performance.md), as the systemd unit and `npm start` run it.
    expect(dockerfile).toContain('ENTRYPOINT ["node", "--single-threaded-gc", "dist/main.js"]');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toContain('node --single-threaded-gc dist/main.js run');
    expect(dockerfile).toContain('EXPOSE 8080');
    expect(dockerfile).toContain('COPY schemas ./schemas'); // the daemon loads its JSON Schemas at run time
  });
});
