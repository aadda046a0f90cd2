import { isImageStoreError } from '@shimkit/image-store';

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
