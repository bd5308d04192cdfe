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

/**
 * Winston formats a line (timestamp, JSON, a child's fields merged in, a trip through its
 * streams) before its transport drops it for its level: at the daemon's usual `warn`, every
 * debug and info line of every call was made and thrown away, ~5% of the daemon's CPU under
 * load. A line below the logger's level (fixed at creation; a reload does not change it) or of a
 * silent logger now stops here.
 */
function wrap(inner: winston.Logger, enabled: Record<'error' | 'warn' | 'info' | 'debug', boolean>): Logger {
  const ignore = (): void => undefined;
  return {
    error: enabled.error ? (message, fields) => inner.error(message, fields) : ignore,
    warn: enabled.warn ? (message, fields) => inner.warn(message, fields) : ignore,
    info: enabled.info ? (message, fields) => inner.info(message, fields) : ignore,
    debug: enabled.debug ? (message, fields) => inner.debug(message, fields) : ignore,
    child: (fields) => wrap(inner.child(fields), enabled),
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
  const on = (level: LogLevel): boolean => !inner.silent && inner.isLevelEnabled(level);
  return wrap(inner, { error: on('error'), warn: on('warn'), info: on('info'), debug: on('debug') });
}

/** Every line about a call carries `callId`. */
export function forCall(logger: Logger, callId: string): Logger {
  return logger.child({ callId });
}

export const silentLogger: Logger = createLogger({ silent: true });
