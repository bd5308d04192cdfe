/**
 * One winston logger for the process. JSON lines for services and log shippers; readable text
 * when a person is watching a terminal. Call-related code logs through `forCall`, so every line
 * about a call carries its id.
 */
import * as winston from 'winston';

import type { LogFormat, LogLevel } from '../domain/enums';

export type { LogFormat, LogLevel } from '../domain/enums';

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to standard error so that command output on stdout stays clean. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

function wrap(inner: winston.Logger): Logger {
  return {
    error: (message, fields) => inner.error(message, fields),
    warn: (message, fields) => inner.warn(message, fields),
    info: (message, fields) => inner.info(message, fields),
    debug: (message, fields) => inner.debug(message, fields),
    child: (fields) => wrap(inner.child(fields)),
  };
}

const textFormat = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info;
  const rest = Object.entries(fields)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest ? ' ' + rest : ''}`;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const useText =
    options.format === 'text' || (options.format !== 'json' && (stream as NodeJS.WriteStream).isTTY === true);
  const inner = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: useText
      ? winston.format.combine(winston.format.timestamp(), textFormat)
      : winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return wrap(inner);
}

/** Every line about a call carries `callId`. */
export function forCall(logger: Logger, callId: string): Logger {
  return logger.child({ callId });
}

export const silentLogger: Logger = createLogger({ silent: true });
