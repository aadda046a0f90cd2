import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 to a real server that forwards requests at once but holds every
 * answer until `release()`: a test uses it to keep a pull in flight for as long as it needs.
 */
export class HeldProxy {
  readonly host: string;
  connections = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #release!: () => void;
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));

  private constructor(server: Server) {
    this.#server = server;
    this.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(target: { host: string; port: number }): Promise<HeldProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new HeldProxy(server);
    server.on('connection', (client) => {
      proxy.connections++;
      const upstream = connect(target);
      for (const s of [client, upstream]) {
        proxy.#sockets.add(s);
        s.on('error', () => undefined).on('close', () => proxy.#sockets.delete(s));
      }
      client.pipe(upstream);
      upstream.pause();
      void proxy.#released.then(() => upstream.pipe(client));
    });
    return proxy;
  }

  release(): void {
    this.#release();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
