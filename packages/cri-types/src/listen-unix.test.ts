import { lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type CriClient } from './client.js';
import { isCriError } from './cri-error.js';
import { listenUnix, type UnixListener } from './listen-unix.js';
import { addCriServices, createCriServer } from './server.js';
import { makeDeadSocket, makeTempDir } from './socket-fixtures.test-helper.js';

function versionServer(name: string): Server {
  const server = createCriServer();
  addCriServices(server, { runtime: { version: () => ({ runtimeName: name }) } });
  return server;
}

describe('listenUnix', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const listeners: UnixListener[] = [];
  const clients: CriClient[] = [];

  beforeEach(async () => ({ dir, remove } = await makeTempDir()));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(listeners.splice(0).map((l) => l.shutdown(100)));
    await remove();
  });

  async function listen(server: Server, path: string): Promise<UnixListener> {
    const listener = await listenUnix(server, path);
    listeners.push(listener);
    return listener;
  }

  async function client(path: string): Promise<CriClient> {
    const c = await connect(path);
    clients.push(c);
    return c;
  }

  it('serves on a new socket, creating the parent directory, and removes it on shutdown', async () => {
    const path = join(dir, 'run', 'shim', 'cri.sock');
    const listener = await listen(versionServer('one'), `unix://${path}`);
    expect(listener.path).toBe(path);
    expect((await stat(path)).isSocket()).toBe(true);
    expect((await (await client(path)).runtime.version()).runtimeName).toBe('one');
    await listener.shutdown(1_000);
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('replaces a stale socket file left by a dead process', async () => {
    const path = join(dir, 'cri.sock');
    makeDeadSocket(path);
    await listen(versionServer('fresh'), path);
    expect((await (await client(path)).runtime.version()).runtimeName).toBe('fresh');
  });

  it('refuses a socket another process still serves, and leaves that server working', async () => {
    const path = join(dir, 'cri.sock');
    await listen(versionServer('first'), path);
    const second = versionServer('second');
    const error = await listenUnix(second, path).catch((e: unknown) => e);
    second.forceShutdown();
    expect(isCriError(error, 'AddressInUse')).toBe(true);
    expect((error as Error).message).toContain(`cannot listen on ${path}: another process is serving that socket`);
    expect((await (await client(path)).runtime.version()).runtimeName).toBe('first');
  });

  it('refuses a regular file and a directory and leaves them alone', async () => {
    const file = join(dir, 'not-a-socket');
    await writeFile(file, 'precious');
    await mkdir(join(dir, 'sub'));
    for (const [path, kind] of [[file, 'a regular file'], [join(dir, 'sub'), 'a directory']] as const) {
      const server = versionServer('x');
      const error = await listenUnix(server, path).catch((e: unknown) => e);
      server.forceShutdown();
      expect(isCriError(error, 'NotASocket')).toBe(true);
      expect((error as Error).message).toBe(`cannot listen on ${path}: it is ${kind}, not a unix socket; refusing to replace it`);
    }
    expect(await readFile(file, 'utf8')).toBe('precious');
  });

  it('rejects a malformed endpoint', async () => {
    const server = versionServer('x');
    const error = await listenUnix(server, 'tcp://127.0.0.1:1').catch((e: unknown) => e);
    server.forceShutdown();
    expect(isCriError(error, 'InvalidEndpoint')).toBe(true);
  });

  it('force-stops a call that outlives the shutdown timeout and aborts its signal', async () => {
    const path = join(dir, 'cri.sock');
    let sawAbort!: () => void;
    const aborted = new Promise<void>((resolve) => (sawAbort = resolve));
    const server = createCriServer();
    addCriServices(server, {
      runtime: {
        async *getContainerEvents(_request, ctx) {
          yield { containerId: 'first' };
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          sawAbort();
        },
      },
    });
    const listener = await listen(server, path);
    const c = await client(path);
    const events = c.runtime.getContainerEvents()[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ containerId: 'first' });
    const rest = events.next().catch((e: unknown) => e);
    await listener.shutdown(200);
    await aborted;
    expect(isCriError(await rest)).toBe(true);
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
