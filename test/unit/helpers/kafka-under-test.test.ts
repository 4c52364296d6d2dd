/**
 * The test helper that picks the Kafka under test: the backend choice, where the Docker engine is
 * asked and what its answer means, and the container's listener settings. The Docker backend
 * itself needs an engine (none here); its reader (readTopic) is exercised against the mock
 * cluster in test/integration/publish/kafka/destination.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  chooseKafkaBackend,
  dockerEndpoints,
  dockerProblem,
  kafkaContainerEnv,
  pingDocker,
  CONTAINER_PORT,
} from '../../helpers/kafka-under-test.js';

describe('chooseKafkaBackend', () => {
  const never = async (): Promise<string | undefined> => {
    throw new Error('the Docker engine must not be asked');
  };

  it('forced mock or docker: the engine is not asked', async () => {
    await expect(chooseKafkaBackend('mock', never)).resolves.toEqual({
      backend: 'mock',
      why: 'KAFKA_TEST_BACKEND=mock',
    });
    await expect(chooseKafkaBackend(' docker ', never)).resolves.toEqual({
      backend: 'docker',
      why: 'KAFKA_TEST_BACKEND=docker',
    });
  });

  it('unset or empty: Docker when it answers, else the mock with the reason', async () => {
    await expect(chooseKafkaBackend(undefined, async () => undefined)).resolves.toEqual({
      backend: 'docker',
      why: 'a Docker engine answers',
    });
    await expect(
      chooseKafkaBackend('', async () => 'no Docker engine answers (/var/run/docker.sock: ENOENT)'),
    ).resolves.toEqual({
      backend: 'mock',
      why: 'no Docker engine answers (/var/run/docker.sock: ENOENT)',
    });
  });

  it('anything else is refused, naming the variable and the choices', async () => {
    await expect(chooseKafkaBackend('real', never)).rejects.toThrow(
      'KAFKA_TEST_BACKEND must be "mock", "docker" or empty (use Docker when it answers), got "real"',
    );
  });
});

describe('dockerEndpoints', () => {
  it('without DOCKER_HOST: the system socket, the rootless one, Docker Desktop', () => {
    expect(dockerEndpoints({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/home/u')).toEqual([
      { socketPath: '/var/run/docker.sock' },
      { socketPath: '/run/user/1000/docker.sock' },
      { socketPath: '/home/u/.docker/run/docker.sock' },
    ]);
    expect(dockerEndpoints({}, '/root')).toEqual([
      { socketPath: '/var/run/docker.sock' },
      { socketPath: '/root/.docker/run/docker.sock' },
    ]);
  });

  it('DOCKER_HOST unix:// and tcp:// (port 2375 by default)', () => {
    expect(dockerEndpoints({ DOCKER_HOST: 'unix:///tmp/d.sock' })).toEqual([{ socketPath: '/tmp/d.sock' }]);
    expect(dockerEndpoints({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toEqual([{ host: '10.0.0.5', port: 2376 }]);
    expect(dockerEndpoints({ DOCKER_HOST: 'tcp://docker' })).toEqual([{ host: 'docker', port: 2375 }]);
    expect(dockerEndpoints({ DOCKER_HOST: 'tcp://[::1]:2375/' })).toEqual([{ host: '::1', port: 2375 }]);
  });

  it('says why when DOCKER_HOST cannot be asked', () => {
    expect(dockerEndpoints({ DOCKER_HOST: 'ssh://me@box' })).toBe(
      'DOCKER_HOST=ssh://me@box is neither unix:// nor tcp://host:port',
    );
    expect(dockerEndpoints({ DOCKER_HOST: 'tcp://box:2376', DOCKER_TLS_VERIFY: '1' })).toMatch(
      /wants TLS .* set KAFKA_TEST_BACKEND=docker to use it/,
    );
  });
});

describe('pingDocker and dockerProblem', () => {
  let dir: string;
  let server: http.Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ver-docker-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** An HTTP server on a unix socket, as the Docker engine is. */
  async function engine(status: number, body: string): Promise<string> {
    const socketPath = path.join(dir, 'docker.sock');
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/_ping' ? status : 404, { 'Content-Type': 'text/plain' }).end(body);
    });
    await new Promise<void>((r) => server?.listen(socketPath, r));
    return socketPath;
  }

  it('an engine answering OK on /_ping answers', async () => {
    const socketPath = await engine(200, 'OK');
    await expect(pingDocker({ socketPath })).resolves.toBeUndefined();
  });

  it('another answer, or no socket, is a problem naming the endpoint', async () => {
    const socketPath = await engine(500, 'broken');
    await expect(pingDocker({ socketPath })).resolves.toBe(`${socketPath}: HTTP 500`);
    const absent = path.join(dir, 'absent.sock');
    await expect(pingDocker({ socketPath: absent })).resolves.toBe(`${absent}: ENOENT`);
  });

  it('dockerProblem: no engine at DOCKER_HOST says so', async () => {
    const absent = path.join(dir, 'absent.sock');
    await expect(dockerProblem({ DOCKER_HOST: `unix://${absent}` })).resolves.toBe(
      `no Docker engine answers (${absent}: ENOENT)`,
    );
  });

  it('dockerProblem: an engine that answers, and testcontainers loads or its failure is named', async () => {
    const socketPath = await engine(200, 'OK');
    const problem = await dockerProblem({ DOCKER_HOST: `unix://${socketPath}` });
    // Node 20: testcontainers' undici does not load; Node 22 and later: nothing in the way.
    if (Number(process.versions.node.split('.')[0]) >= 22) expect(problem).toBeUndefined();
    else expect(problem).toMatch(/^a Docker engine answers, but testcontainers cannot be loaded on Node v20/);
  });
});

describe('kafkaContainerEnv', () => {
  const list = (v: string) => v.split(',').map((l) => /^(\w+):\/\/(.*):(\d+)$/.exec(l)?.slice(1) ?? []);

  it('one node, broker and controller, its listeners consistent with each other', () => {
    const env = kafkaContainerEnv('127.0.0.1', 40123);
    const listeners = list(env.KAFKA_LISTENERS);
    const advertised = list(env.KAFKA_ADVERTISED_LISTENERS);
    const protocols = Object.fromEntries(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((p) => p.split(':')));
    const names = listeners.map(([name]) => name);
    for (const name of names) expect(protocols[name]).toBe('PLAINTEXT');
    // Clients come back at the published port; the controller is never advertised.
    expect(advertised).toContainEqual(['CLIENT', '127.0.0.1', '40123']);
    expect(listeners).toContainEqual(['CLIENT', '', String(CONTAINER_PORT)]);
    expect(advertised.map(([name]) => name)).not.toContain(env.KAFKA_CONTROLLER_LISTENER_NAMES);
    for (const [name] of advertised) expect(names).toContain(name);
    expect(advertised.map(([name]) => name)).toContain(env.KAFKA_INTER_BROKER_LISTENER_NAME);
    const controllerPort = listeners.find(([name]) => name === env.KAFKA_CONTROLLER_LISTENER_NAMES)?.[2];
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@localhost:${controllerPort}`);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    // Kafka's cluster id: 16 bytes, base64url without padding.
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
  });
});
