import type { LogFields, Logger } from '../interfaces/logger.js';

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether `value` names a log level. */
export function parseLogLevel(value: string): LogLevel | undefined {
  return (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

/** Options of {@link StderrLogger}. */
export interface StderrLoggerOptions {
  /** Lines below this level are dropped (default `info`). */
  level?: LogLevel;
  /** Where lines go (default `process.stderr`). */
  write?: (line: string) => void;
  /** Timestamps (default `new Date()`). */
  now?: () => Date;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value);
  return /[\s"=]/.test(text ?? '') ? JSON.stringify(text) : String(text);
}

/** A {@link Logger} writing one `time level message key=value ...` line per call to stderr. */
export class StderrLogger implements Logger {
  readonly level: LogLevel;
  private readonly min: number;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(options: StderrLoggerOptions = {}) {
    this.level = options.level ?? 'info';
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
    const rest = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${formatValue(v)}`)
      .join('');
    this.write(`${this.now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${rest}\n`);
  }
}
