/**
 * winston: JSON lines by default (one object a line, for log shippers), readable text on a TTY
 * or with log.format=pretty. Every line passes through redaction, so a transport_url or a
 * password that slips into a message or a field never reaches the output.
 */
import winston from 'winston';
import { redactDeep, redactText } from './redact.js';

export type Logger = winston.Logger;
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** Literal secrets (e.g. dmaap.password, admin.authToken) to mask wherever they appear. */
  secrets?: readonly string[];
  /** Where lines go; default stdout. Tests pass a stream to read the output. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length > 0);
  const redact = winston.format((info) => {
    info.message = redactText(String(info.message), secrets);
    for (const k of Object.keys(info)) {
      if (k === 'level' || k === 'message') continue;
      const v = (info as Record<string, unknown>)[k];
      if (v instanceof Error) (info as Record<string, unknown>)[k] = redactText(v.message, secrets);
      else (info as Record<string, unknown>)[k] = redactDeep(v, secrets);
    }
    return info;
  });
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && Boolean(process.stdout.isTTY));
  const format = pretty
    ? winston.format.combine(
        redact(),
        winston.format.timestamp(),
        winston.format.colorize(),
        winston.format.printf(({ timestamp, level, message, ...rest }) => {
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(redact(), winston.format.timestamp(), winston.format.json());
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: [] });
  return winston.createLogger({ level: opts.level, format, transports: [transport] });
}

/** A logger that writes nothing: for unit tests of code that takes a logger. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
