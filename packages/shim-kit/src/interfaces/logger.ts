/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where the shim reports what it does; the library itself never prints. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
