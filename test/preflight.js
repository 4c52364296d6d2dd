// Before the tests: is the broker the integration, fault and e2e tests need there, does it
// speak AMQP 1.0, and does PostgreSQL (the store tests) answer? Without the amqp1_0 plugin two dozen AMQP 1.0 tests fail with timeouts that do
// not say why; this says it once, before and after the run. Unit tests need neither, so a
// problem is reported, never fatal. Raw protocol headers, no library: RabbitMQ answers an AMQP
// 1.0 SASL header with the same header when the plugin listens, and with its 0-9-1 header
// ("AMQP" 0 0 9 1) when it does not.
import net from 'node:net';

const AMQP10_SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);

function probe(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(3000, () => done('timeout'));
    socket.on('error', (e) => done(`error ${e.code ?? e.message}`));
    socket.on('connect', () => socket.write(AMQP10_SASL_HEADER));
    socket.once('data', (b) => done(b.subarray(0, 8).equals(AMQP10_SASL_HEADER) ? 'amqp10' : 'other'));
  });
}

/** PostgreSQL: a TCP connect is enough to tell a stopped server from a running one. */
function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(3000, () => done('timeout'));
    socket.on('error', (e) => done(`error ${e.code ?? e.message}`));
    socket.on('connect', () => done('open'));
  });
}

export default async function preflight() {
  const url = new URL(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const host = url.hostname;
  const port = Number(url.port || 5672);
  const answer = await probe(host, port);
  const problems = [];
  if (answer.startsWith('error') || answer === 'timeout') {
    problems.push(
      `no RabbitMQ answers at ${host}:${port} (${answer}): start it (rabbitmq-server -detached) or set AMQP_URL; only test/unit runs without it`,
    );
  } else if (answer !== 'amqp10') {
    problems.push(
      `RabbitMQ at ${host}:${port} does not speak AMQP 1.0, so the AMQP 1.0 tests will fail: rabbitmq-plugins enable rabbitmq_amqp1_0 (as root)`,
    );
  }
  const pg = new URL(process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const pgAnswer = await reachable(pg.hostname, Number(pg.port || 5432));
  if (pgAnswer !== 'open') {
    problems.push(
      `no PostgreSQL answers at ${pg.hostname}:${pg.port || 5432} (${pgAnswer}), so the store tests will fail: start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set PG_ADMIN_URL`,
    );
  }
  // The summary reporter runs in this process (--runInBand) and repeats these after the totals.
  process.env.VER_TEST_PREFLIGHT = problems.join('\n');
  for (const p of problems) process.stderr.write(`\npreflight: ${p}\n`);
}
