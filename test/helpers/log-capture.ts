/** A real logger (createLogger, JSON lines) whose lines a test can read back as objects. */
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/util/logger.js';

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  return { logger: createLogger({ level, format: 'json', stream }), lines };
}
