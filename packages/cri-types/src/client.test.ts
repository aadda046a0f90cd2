import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from './client.js';
import { isCriError } from './cri-error.js';
import { listenUnix } from './listen-unix.js';
import { addCriServices, createCriServer } from './server.js';
import { makeDeadSocket, makeTempDir } from './socket-fixtures.test-helper.js';

async function connectError(endpoint: string): Promise<Error> {
  const error = await connect(endpoint).then(
    async (client) => {
      await client.close();
      throw new Error(`connect(${endpoint}) unexpectedly succeeded`);
    },
    (e: unknown) => e,
  );
  return error as Error;
}

describe('connect', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => ({ dir, remove } = await makeTempDir()));
  afterEach(() => remove());

  it('names a missing socket path', async () => {
    const path = join(dir, 'missing.sock');
    const error = await connectError(`unix://${path}`);
    expect(isCriError(error, 'SocketNotFound')).toBe(true);
    expect(error.message).toBe(`cannot connect to CRI runtime: no socket at ${path} (is the runtime running?)`);
  });

  it('names a path that is a regular file', async () => {
    const path = join(dir, 'file.sock');
    await writeFile(path, '');
    const error = await connectError(path);
    expect(isCriError(error, 'NotASocket')).toBe(true);
    expect(error.message).toBe(`cannot connect to CRI runtime: ${path} is a regular file, not a unix socket`);
  });

  it('names a dead socket nobody listens on', async () => {
    const path = join(dir, 'dead.sock');
    makeDeadSocket(path);
    const error = await connectError(`unix:${path}`);
    expect(isCriError(error, 'ConnectionRefused')).toBe(true);
    expect(error.message).toContain(`nothing listens on ${path}`);
  });

  it('rejects a malformed endpoint before touching the file system', async () => {
    expect(isCriError(await connectError('tcp://127.0.0.1:10010'), 'InvalidEndpoint')).toBe(true);
    expect(isCriError(await connectError(''), 'InvalidEndpoint')).toBe(true);
  });

  it('connects through a relative unix: endpoint', async () => {
    const server = createCriServer();
    addCriServices(server, { runtime: { version: () => ({ runtimeName: 'relative' }) } });
    await using listener = await listenUnix(server, join(dir, 'rel.sock'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await using client = await connect('unix:rel.sock');
      expect(client.endpoint).toEqual({ kind: 'unix', path: 'rel.sock', target: 'unix:rel.sock' });
      expect((await client.runtime.version()).runtimeName).toBe('relative');
    } finally {
      process.chdir(cwd);
    }
    expect(listener.path).toBe(join(dir, 'rel.sock'));
  });

  it('fails calls after close with FailedPrecondition', async () => {
    const server = createCriServer();
    addCriServices(server, { runtime: { version: () => ({}) } });
    await using _listener = await listenUnix(server, join(dir, 'x.sock'));
    const client = await connect(join(dir, 'x.sock'));
    await client.close();
    const error = await client.runtime.version().catch((e: unknown) => e);
    expect(isCriError(error, 'FailedPrecondition')).toBe(true);
    await expect(client.runtime.streamContainers()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'FailedPrecondition' });
  });
});

describe('close', () => {
  it('cancels calls in flight, and the server sees its signal abort', async () => {
    const { dir, remove } = await makeTempDir();
    try {
      let serverSaw!: (reason: unknown) => void;
      const seen = new Promise((resolve) => (serverSaw = resolve));
      const server = createCriServer();
      addCriServices(server, {
        runtime: {
          execSync: (_request, ctx) =>
            new Promise((_resolve, reject) => {
              const bounded = setTimeout(() => reject(new Error('no abort within 20 s')), 20_000);
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(bounded);
                serverSaw(ctx.signal.reason);
                reject(ctx.signal.reason);
              });
            }),
        },
      });
      await using _listener = await listenUnix(server, join(dir, 'x.sock'));
      const client = await connect(join(dir, 'x.sock'));
      const pending = client.runtime.execSync({ cmd: ['sleep'] }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await client.close();
      const error = await pending;
      expect(isCriError(error, 'Cancelled')).toBe(true);
      expect((error as Error).message).toBe('RuntimeService.ExecSync: the CRI client was closed');
      expect(isCriError(await seen, 'Cancelled')).toBe(true);
    } finally {
      await remove();
    }
  });
});
