/** `dmaap-dev`: serve the in-memory Message Router until SIGTERM/SIGINT. */
import { createDmaapDevServer } from '../dmaap-dev/server.js';
import type { CliArgs } from './args.js';

export async function serveDmaapDev(args: CliArgs): Promise<number> {
  const server = createDmaapDevServer({ host: args.host, port: args.port });
  const { url } = await server.listen();
  process.stdout.write(`dmaap-dev listening on ${url} (in memory; for demos and tests)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  return 0;
}
