import type { LogFields, Logger } from '../interfaces/logger.js';
import { currentCall } from '../observe/call-context.js';

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether `value` names a log level. */
export function parseLogLevel(value: string): LogLevel | undefined {
  return (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

/** Line formats: `text` (`time LEVEL message key=value ...`) or `json` (one object a line). */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Whether `value` names a log format. */
export function parseLogFormat(value: string): LogFormat | undefined {
  return (LOG_FORMATS as readonly string[]).includes(value) ? (value as LogFormat) : undefined;
}

/** Options of {@link StderrLogger}. */
export interface StderrLoggerOptions {
  /** Lines below this level are dropped (default `info`). */
  level?: LogLevel;
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** Where lines go (default `process.stderr`). */
  write?: (line: string) => void;
  /** Timestamps (default `new Date()`). */
  now?: () => Date;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

// JSON.stringify drops Errors' message and fails on bigint
const jsonValue = (_key: string, value: unknown): unknown => (value instanceof Error ? value.message : typeof value === 'bigint' ? value.toString() : value);

/**
 * A {@link Logger} writing one line per call to stderr: `time LEVEL message key=value ...`, or
 * with `format: 'json'` an object `{"time","level","msg",...fields}`. Lines logged while a CRI
 * call is served carry its `requestId` (and `rpc`).
 */
export class StderrLogger implements Logger {
  readonly level: LogLevel;
  private readonly min: number;
  readonly format: LogFormat;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(options: StderrLoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.format = options.format ?? 'text';
    this.min = LOG_LEVELS.indexOf(this.level);
    this.write = options.write ?? ((line) => void process.stderr.write(line));
    this.now = options.now ?? (() => new Date());
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LOG_LEVELS.indexOf(level) < this.min) return;
    const call = currentCall();
    const all = call === undefined ? fields : { rpc: call.rpc, ...fields, requestId: call.requestId };
    const time = this.now().toISOString();
    if (this.format === 'json') return this.write(`${JSON.stringify({ time, level, msg: message, ...all }, jsonValue)}\n`);
    const rest = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${formatValue(v)}`)
      .join('');
    this.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${rest}\n`);
  }
}
