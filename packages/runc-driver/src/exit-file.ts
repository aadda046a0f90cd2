import { readFile, stat } from 'node:fs/promises';
import { RuncError } from './runc-error.js';

/** A container's exit as recorded by conmon. */
export interface ExitStatus {
  /** Exit code; 128+n when killed by signal n; -1 when conmon timed the container out. */
  exitCode: number;
  /** When conmon wrote the exit file. */
  exitedAt: Date;
}

/**
 * Reads a conmon exit file (`<exit dir>/<id>` or `<persist dir>/exit`: the exit code as
 * decimal text). Undefined while the file does not exist (the container has not exited).
 */
export async function readExitFile(path: string): Promise<ExitStatus | undefined> {
  let text: string;
  let mtime: Date;
  try {
    [text, { mtime }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuncError('COMMAND_FAILED', `cannot read exit file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new RuncError('PARSE_ERROR', `exit file ${path} does not hold an exit code: ${JSON.stringify(text.slice(0, 50))}`);
  return { exitCode: Number.parseInt(trimmed, 10), exitedAt: mtime };
}
