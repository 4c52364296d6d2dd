/**
 * A minimal DMaaP Message Router stand-in for the bench: accepts POST /events/{topic} with a
 * JSON array, answers 200 as MR does, and only counts. It scans the bytes for message_ids
 * instead of parsing, so it costs the machine as little as possible. Ids the bench made with a
 * publish time (`L<tag>-<epochMs>-<seq>`) give a latency sample: receipt minus publish.
 *
 * Runs as a child process (IPC): sends {port} when listening; answers 'stats', 'latencies',
 * 'reset'.
 */
import http from 'node:http';

const KEY = Buffer.from('"message_id":"');
const QUOTE = 0x22;

let count = 0;
let requests = 0;
let firstAt = 0;
let lastAt = 0;
const latencies = new Map<string, number[]>();

const now = (): number => performance.timeOrigin + performance.now();

function record(body: Buffer, at: number): number {
  let n = 0;
  let i = body.indexOf(KEY);
  while (i !== -1) {
    n++;
    const start = i + KEY.length;
    const end = body.indexOf(QUOTE, start);
    if (body[start] === 0x4c /* L */) {
      const id = body.toString('latin1', start + 1, end);
      const [tag, sent] = id.split('-');
      let list = latencies.get(tag);
      if (!list) latencies.set(tag, (list = []));
      list.push(at - Number(sent));
    }
    i = body.indexOf(KEY, end);
  }
  return n;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    if (req.method !== 'POST' || !req.url?.startsWith('/events/')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"status":404}');
      return;
    }
    const n = record(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), at);
    count += n;
    requests++;
    if (firstAt === 0) firstAt = at;
    lastAt = at;
    const body = `{"serverTimeMs":0,"count":${n}}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length }).end(body);
  });
});
server.keepAliveTimeout = 30_000;

type Command = { cmd: 'stats' } | { cmd: 'latencies'; tag: string } | { cmd: 'reset' };

process.on('message', (m: Command) => {
  if (m.cmd === 'stats') process.send!({ count, requests, firstAt, lastAt });
  else if (m.cmd === 'latencies') process.send!({ latencies: latencies.get(m.tag) ?? [] });
  else if (m.cmd === 'reset') {
    count = requests = firstAt = lastAt = 0;
    latencies.clear();
    process.send!({ reset: true });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
