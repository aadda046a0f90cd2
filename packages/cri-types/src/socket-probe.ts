import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { CriError } from './cri-error.js';

/** What is found at a unix socket path. */
export type SocketState =
  | { readonly state: 'missing' }
  | { readonly state: 'not-socket'; readonly fileType: string }
  | { readonly state: 'refused' }
  | { readonly state: 'live' };

function fileTypeOf(s: Awaited<ReturnType<typeof stat>>): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a socket';
}

/**
 * Looks at a unix socket path without speaking gRPC: is there a file, is it a
 * socket, and does a process accept connections on it. `refused` is a socket
 * file nobody listens on (left behind by a process that died).
 */
export async function probeSocket(path: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<SocketState> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw new CriError('Unavailable', `cannot inspect socket path ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!info.isSocket()) return { state: 'not-socket', fileType: fileTypeOf(info) };

  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise<SocketState>((resolve, reject) => {
    const socket = connect({ path });
    const finish = (result: SocketState | Error): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onAbort = (): void =>
      finish(new CriError('Cancelled', `probing socket ${path} was aborted`, { cause: options.signal?.reason }));
    const timer = setTimeout(
      () => finish(new CriError('Unavailable', `socket ${path} did not accept a connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ state: 'live' }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') finish({ state: 'refused' });
      else if (e.code === 'ENOENT') finish({ state: 'missing' });
      else if (e.code === 'EACCES' || e.code === 'EPERM') {
        finish(new CriError('PermissionDenied', `no permission to connect to socket ${path}`, { cause: e }));
      } else finish(new CriError('Unavailable', `cannot connect to socket ${path}: ${e.message}`, { cause: e }));
    });
  });
}
