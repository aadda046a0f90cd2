import type { Logger } from '../interfaces/logger.js';

/** A logger that drops everything: the default, since a library never prints on its own. */
export class NoopLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
}
