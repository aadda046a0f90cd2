import { fstatSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { CriError } from './cri-error.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, stopServer, type UnixListener } from './listen-unix.js';

/**
 * Serves `server` on a listening socket this process inherited as file descriptor `fd` (systemd
 * socket activation passes fd 3). grpc-js binds only addresses, so a Node server accepts on the
 * fd and hands each connection to grpc-js's connection injector: the same HTTP/2 server, no
 * proxy in between. `path` is what the listener reports (the socket file, which stays: its
 * owner made it). Fails with `NotASocket` for an fd that is not a listening socket.
 */
export async function listenInherited(server: Server, fd: number, options: { path?: string } = {}): Promise<UnixListener> {
  let isSocket = false;
  try {
    isSocket = fstatSync(fd).isSocket();
  } catch (e) {
    throw new CriError('NotASocket', `cannot serve on inherited fd ${fd}: ${(e as Error).message}`, { cause: e });
  }
  if (!isSocket) throw new CriError('NotASocket', `cannot serve on inherited fd ${fd}: it is not a socket`);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const acceptor: NetServer = createServer((connection) => injector.injectConnection(connection));
  await new Promise<void>((resolve, reject) => {
    acceptor.once('error', (e) => reject(new CriError('Unavailable', `cannot serve on inherited fd ${fd}: ${e.message}`, { cause: e })));
    acceptor.listen({ fd }, () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const shutdown = (timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> => {
    stopping ??= (async () => {
      // close() calls back once every connection it accepted is gone: after the server let go of them
      const closed = new Promise<void>((resolve) => acceptor.close(() => resolve()));
      await stopServer(server, timeoutMs);
      injector.destroy();
      await closed;
    })();
    return stopping;
  };
  return { path: options.path ?? `fd ${fd}`, server, shutdown, close: () => shutdown(), [Symbol.asyncDispose]: () => shutdown() };
}
