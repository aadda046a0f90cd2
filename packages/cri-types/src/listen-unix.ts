import { mkdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { CriError } from './cri-error.js';
import { parseEndpoint } from './endpoint.js';
import { probeSocket } from './socket-probe.js';

/** Default time `shutdown` lets calls in flight finish before cancelling them. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

/** A grpc-js server listening on a unix socket. */
export interface UnixListener extends AsyncDisposable {
  /** The socket path. */
  readonly path: string;
  readonly server: Server;
  /**
   * Stops accepting calls, waits up to `timeoutMs` for calls in flight, then
   * force-stops the rest (their handlers see `ctx.signal` abort) and removes the
   * socket file (only if it is still the one this listener created).
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** `shutdown()` with the default timeout. */
  close(): Promise<void>;
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CriError('AddressInUse', `cannot remove stale socket ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

function bind(server: Server, target: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (error) => {
      if (error === null) return resolve();
      const code = /EADDRINUSE/.test(error.message) ? 'AddressInUse' : 'Unavailable';
      reject(new CriError(code, `cannot listen on ${path}: ${error.message}`, { cause: error }));
    });
  });
}

/** Stops accepting calls, lets those in flight run up to `timeoutMs`, then cancels them. */
export function stopServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Makes `server` listen on a unix socket (a path or a `unix://` endpoint). A
 * socket file left by a process that died is replaced; a path where a process
 * still answers fails with `AddressInUse`, and a path that is not a socket
 * (a regular file, a directory) fails with `NotASocket` and is left alone.
 * The parent directory is created if missing.
 */
export async function listenUnix(server: Server, path: string, options: { signal?: AbortSignal } = {}): Promise<UnixListener> {
  const endpoint = parseEndpoint(path);
  const socketPath = endpoint.path;
  const found = await probeSocket(socketPath, { signal: options.signal });
  if (found.state === 'live') {
    throw new CriError('AddressInUse', `cannot listen on ${socketPath}: another process is serving that socket`);
  }
  if (found.state === 'not-socket') {
    throw new CriError('NotASocket', `cannot listen on ${socketPath}: it is ${found.fileType}, not a unix socket; refusing to replace it`);
  }
  if (found.state === 'refused') await removeStaleSocket(socketPath);
  await mkdir(dirname(socketPath), { recursive: true });
  await bind(server, endpoint.target, socketPath);
  const { ino, dev } = await stat(socketPath);

  let stopping: Promise<void> | undefined;
  const shutdown = (timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> => {
    stopping ??= (async () => {
      await stopServer(server, timeoutMs);
      const now = await stat(socketPath).catch(() => undefined);
      if (now?.isSocket() && now.ino === ino && now.dev === dev) await unlink(socketPath).catch(() => undefined);
    })();
    return stopping;
  };
  return {
    path: socketPath,
    server,
    shutdown,
    close: () => shutdown(),
    [Symbol.asyncDispose]: () => shutdown(),
  };
}
