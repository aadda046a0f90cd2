import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCriError } from './cri-error.js';
import { makeDeadSocket, makeTempDir } from './socket-fixtures.test-helper.js';
import { probeSocket } from './socket-probe.js';

describe('probeSocket', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const servers: Server[] = [];

  beforeEach(async () => ({ dir, remove } = await makeTempDir()));
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    await remove();
  });

  it('reports a missing path', async () => {
    expect(await probeSocket(join(dir, 'none.sock'))).toEqual({ state: 'missing' });
  });

  it('reports a regular file and a directory as not a socket', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await mkdir(join(dir, 'sub'));
    expect(await probeSocket(join(dir, 'file'))).toEqual({ state: 'not-socket', fileType: 'a regular file' });
    expect(await probeSocket(join(dir, 'sub'))).toEqual({ state: 'not-socket', fileType: 'a directory' });
  });

  it('reports a socket file nobody listens on as refused', async () => {
    makeDeadSocket(join(dir, 'dead.sock'));
    expect(await probeSocket(join(dir, 'dead.sock'))).toEqual({ state: 'refused' });
  });

  it('reports a listening socket as live', async () => {
    const server = createServer((c) => c.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(dir, 'live.sock'), resolve));
    expect(await probeSocket(join(dir, 'live.sock'))).toEqual({ state: 'live' });
  });

  it('stops when the signal is already aborted', async () => {
    makeDeadSocket(join(dir, 'dead.sock'));
    const error = await probeSocket(join(dir, 'dead.sock'), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isCriError(error, 'Cancelled')).toBe(true);
  });
});
