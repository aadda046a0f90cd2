import { open, type FileHandle } from 'node:fs/promises';
import { RuncError } from './runc-error.js';

/**
 * Where one standard stream of the runtime (and so of the container or exec'd process) goes.
 * - `'ignore'`: /dev/null.
 * - `'inherit'`: this process's own stream.
 * - `'pipe'`: captured and returned (foreground calls only).
 * - `{ file }`: a file opened for the call (appended to unless `truncate`); a fifo path works too.
 * - `{ fd }`: an already open file descriptor, passed as is.
 */
export type StdioTarget = 'ignore' | 'inherit' | 'pipe' | { file: string; truncate?: boolean } | { fd: number };

/** Standard streams of a runtime call. Unset streams are `'ignore'` (or `'pipe'` for stdout/stderr of foreground calls). */
export interface RuncIO {
  stdin?: StdioTarget;
  stdout?: StdioTarget;
  stderr?: StdioTarget;
}

/** What `spawn` gets for one stream. */
export type SpawnStdio = 'ignore' | 'inherit' | 'pipe' | number;

/** Opened stdio for one call; `close()` releases the files this package opened. */
export interface OpenedStdio {
  stdio: [SpawnStdio, SpawnStdio, SpawnStdio];
  close(): Promise<void>;
}

/**
 * Resolves {@link RuncIO} for a spawn. `detached` calls (create, run -d, exec -d) refuse
 * `'pipe'`: the container inherits the runtime's stdio, so a pipe would never reach EOF.
 */
export async function openStdio(io: RuncIO, options: { detached: boolean; verb: string }): Promise<OpenedStdio> {
  const handles: FileHandle[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(handles.splice(0).map((h) => h.close().catch(() => undefined)));
  };
  const defaultOut: StdioTarget = options.detached ? 'ignore' : 'pipe';
  const resolve = async (target: StdioTarget | undefined, name: 'stdin' | 'stdout' | 'stderr'): Promise<SpawnStdio> => {
    const t = target ?? (name === 'stdin' ? 'ignore' : defaultOut);
    if (t === 'pipe' && options.detached) {
      throw new RuncError(
        'INVALID_ARGUMENT',
        `${options.verb}: ${name} cannot be 'pipe' for a detached container (it would never reach EOF); use a file, a fifo, 'ignore' or an fd`,
      );
    }
    if (typeof t === 'string') return t;
    if ('fd' in t) {
      if (!Number.isInteger(t.fd) || t.fd < 0) throw new RuncError('INVALID_ARGUMENT', `${options.verb}: ${name} fd must be a non-negative integer, got ${t.fd}`);
      return t.fd;
    }
    const flags = name === 'stdin' ? 'r' : t.truncate ? 'w' : 'a';
    try {
      const handle = await open(t.file, flags);
      handles.push(handle);
      return handle.fd;
    } catch (err) {
      throw new RuncError('INVALID_ARGUMENT', `${options.verb}: cannot open ${name} file ${t.file}: ${(err as Error).message}`, { cause: err });
    }
  };
  try {
    const stdio: [SpawnStdio, SpawnStdio, SpawnStdio] = [
      await resolve(io.stdin, 'stdin'),
      await resolve(io.stdout, 'stdout'),
      await resolve(io.stderr, 'stderr'),
    ];
    return { stdio, close };
  } catch (err) {
    await close();
    throw err;
  }
}
