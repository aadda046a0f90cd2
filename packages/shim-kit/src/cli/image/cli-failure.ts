import { isImageStoreError } from '@shimkit/image-store';
import { CommanderError } from 'commander';

/** Exit codes of `shimkit image` and `shimkit build`, as of `shimkit serve`: 0 ok, 1 failed, 2 bad usage. */
export const CLI_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that cannot be run (exit 2). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** One line for a failed command: what it was doing with which image, and why (the causes' messages too). */
export function describeFailure(what: string, e: unknown): string {
  const parts = [what];
  let cause: unknown = e;
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    const message = cause.message.trim();
    if (message !== '' && !parts.some((p) => p.includes(message))) parts.push(message);
    cause = cause.cause;
  }
  const code = isImageStoreError(e) ? ` [${e.code}]` : '';
  return `${parts.join(': ')}${code}`;
}

/**
 * The exit code of a command line that commander or a command refused (help asked for is no
 * failure), a CliUsageError told on `stderr` as `<program>: message`; undefined for other failures.
 */
export function usageExitCode(e: unknown, program: string, stderr: (text: string) => void): number | undefined {
  if (e instanceof CommanderError) {
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? CLI_EXIT.ok : CLI_EXIT.usage;
  }
  if (e instanceof CliUsageError) {
    stderr(`${program}: ${e.message}\n`);
    return CLI_EXIT.usage;
  }
  return undefined;
}
