/**
 * An HTTP endpoint's own rate: POSTs of `batch` real VM messages to /events/{topic}, `concurrency`
 * at a time on keep-alive sockets (as the relay's publisher does), for `seconds`. The body is
 * built once, so the client costs little and the figure is the endpoint's.
 */
import http from 'node:http';

export interface EndpointRate {
  readonly requestsPerSecond: number;
  readonly messagesPerSecond: number;
}

export async function endpointRate(
  baseUrl: string,
  rendered: readonly string[],
  batch: number,
  concurrency: number,
  seconds: number,
): Promise<EndpointRate> {
  const msgs: string[] = [];
  for (let i = 0; i < batch; i++) {
    const m = rendered[i % rendered.length];
    // A fresh id per message, as the sink and dmaap-dev would see from the relay.
    msgs.push(m.replace(/"message_id":"[^"]*"/, `"message_id":"X${i}"`));
  }
  const body = Buffer.from(`[${msgs.join(',')}]`);
  const url = new URL(`${baseUrl}/events/BENCH_RATE`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let done = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      await post();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { requestsPerSecond: done / elapsed, messagesPerSecond: (done * batch) / elapsed };
}
