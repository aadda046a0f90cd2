import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isShimError } from '../errors.js';
import type { Clock } from '../interfaces/clock.js';
import type { Logger } from '../interfaces/logger.js';
import { createFakes } from '../testing/fakes.js';
import { Tokens } from '../tokens.js';
import { ImageStoreBackend } from '../modules/images/image-store-backend.js';
import { RuncConmonBackend } from '../modules/runc/runc-backend.js';
import { createShim } from './create-shim.js';
import { memoryStoresModule, provide } from './modules.js';

describe('createShim', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-create-${process.pid}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const paths = () => ({ socket: join(dir, 'run', 'cri.sock'), root: join(dir, 'root'), state: join(dir, 'state') });

  it('without the defaults, refuses to start without the backends, naming the missing ones', async () => {
    const e = await createShim({ ...paths(), defaults: false, modules: [provide(Tokens.PodNetwork, createFakes().network)] }).catch((x: unknown) => x);
    expect(isShimError(e, 'MissingModule')).toBe(true);
    expect((e as Error).message).toMatch(/RuntimeBackend, ImageBackend/);
    await expect(stat(paths().socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('swaps one part with one module line (clock and logger here), each shim in its own container', async () => {
    const clock: Clock = { now: () => new Date(1_000), nowNs: () => 1_000_000_000n };
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const fakes = createFakes();
    const shim = await createShim({ ...paths(), modules: [...fakes.modules, memoryStoresModule(), provide(Tokens.Clock, clock), provide(Tokens.Logger, logger)] });
    const other = await createShim({ socket: join(dir, 'other.sock'), root: join(dir, 'r2'), state: join(dir, 's2'), modules: createFakes().modules });
    try {
      expect(shim.get(Tokens.Clock)).toBe(clock);
      expect(other.get(Tokens.Clock)).not.toBe(clock);
      // @ts-expect-error a token only takes a value of its own type
      provide(Tokens.Clock, { now: 5 });
      expect(shim.services.sandboxes).not.toBe(other.services.sandboxes);
      const cri = await connect(`unix://${shim.socket}`);
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config: { metadata: { name: 'p', namespace: 'n', uid: 'u' } } });
      expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.createdAt).toBe(1_000_000_000n);
      await cri.close();
      expect(lines).toContain('shim listening');
      expect(lines).toContain('pod sandbox started');
    } finally {
      await shim.close();
      await other.close();
    }
  });

  it('fills in the real modules for the parts no module gives (one-line swap of the network here)', async () => {
    const network = createFakes().network;
    const shim = await createShim({ ...paths(), modules: [provide(Tokens.PodNetwork, network)], defaults: { runtime: { runtime: 'runc' } } });
    try {
      expect(shim.get(Tokens.RuntimeBackend)).toBeInstanceOf(RuncConmonBackend);
      expect(shim.get(Tokens.ImageBackend)).toBeInstanceOf(ImageStoreBackend);
      expect(shim.get(Tokens.PodNetwork)).toBe(network);
    } finally {
      await shim.close();
    }
  });

  it('close() is idempotent, removes the socket and leaves containers running', async () => {
    const fakes = createFakes();
    const shim = await createShim({ ...paths(), modules: fakes.modules });
    const socket = shim.socket;
    expect((await stat(socket)).isSocket()).toBe(true);
    await Promise.all([shim.close(), shim.close()]);
    await shim[Symbol.asyncDispose]();
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fakes.runtime.callsTo('stopContainer')).toEqual([]);
  });

  it('fails when the streaming server cannot listen, and closes the parts it made', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const fakes = createFakes();
      const closed = vi.spyOn(fakes.runtime, 'close');
      const port = (taken.address() as AddressInfo).port;
      await expect(createShim({ ...paths(), modules: fakes.modules, streaming: { host: '127.0.0.1', port } })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(closed).toHaveBeenCalledOnce();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('refuses a socket another shim serves, and closes the parts it made', async () => {
    const first = await createShim({ ...paths(), modules: createFakes().modules });
    try {
      const fakes = createFakes();
      await expect(createShim({ ...paths(), root: join(dir, 'r2'), modules: fakes.modules })).rejects.toMatchObject({ code: 'AddressInUse' });
      // a retry on the same root (real runtime and image backends) starts
      await expect(createShim({ ...paths(), root: join(dir, 'r3'), modules: [provide(Tokens.PodNetwork, fakes.network)] })).rejects.toMatchObject({ code: 'AddressInUse' });
      const retry = await createShim({ socket: join(dir, 'retry.sock'), root: join(dir, 'r3'), state: join(dir, 's3'), modules: [provide(Tokens.PodNetwork, fakes.network)] });
      await retry.close();
    } finally {
      await first.close();
    }
  });
});
