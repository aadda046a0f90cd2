import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createShim, type CreateShimOptions, type Shim } from '../shim/create-shim.js';
import type { FakeImageBackendOptions } from './fake-image-backend.js';
import { memoryStoresModule, type ShimModule } from '../shim/modules.js';
import { createFakes, type Fakes } from './fakes.js';

/** A shim on fake backends, on a socket in a temp directory. */
export interface FakeShim extends AsyncDisposable {
  /** `unix://` endpoint to connect a CRI client (or the code under test) to. */
  readonly endpoint: string;
  readonly socket: string;
  readonly shim: Shim;
  readonly fakes: Fakes;
  /** Closes the shim and deletes the temp directory. */
  close(): Promise<void>;
}

/** Options of {@link startFakeShim}. */
export interface StartFakeShimOptions {
  /** Keep state on disk under the temp dir instead of in memory. */
  diskStores?: boolean;
  /** Modules applied after the fakes (to swap one part). */
  modules?: ShimModule[];
  /** Options of the fake image backend. */
  images?: FakeImageBackendOptions;
  /** Other `createShim` options. */
  shim?: Pick<CreateShimOptions, 'runtimeName' | 'runtimeVersion' | 'restrictOomScoreAdj' | 'streamChunkSize' | 'streaming' | 'metrics' | 'tracing'>;
}

/**
 * A complete CRI endpoint on fakes, for unit-testing code that talks to a runtime (the
 * TypeScript counterpart of cri-api's FakeRuntimeService, but over a real gRPC socket):
 *
 * ```ts
 * await using cri = await startFakeShim();
 * cri.fakes.runtime.scriptExit('job', { exitCode: 1, afterMs: 10 });
 * await myKubeletLikeCode(cri.endpoint);
 * ```
 */
export async function startFakeShim(options: StartFakeShimOptions = {}): Promise<FakeShim> {
  const dir = await mkdtemp(join(tmpdir(), 'shimkit-fake-'));
  const fakes = createFakes(options.images === undefined ? {} : { images: options.images });
  const socket = join(dir, 'cri.sock');
  let shim: Shim;
  try {
    shim = await createShim({
      ...options.shim,
      socket,
      root: join(dir, 'root'),
      state: join(dir, 'state'),
      modules: [...(options.diskStores === true ? [] : [memoryStoresModule()]), ...fakes.modules, ...(options.modules ?? [])],
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await shim.close({ timeoutMs: 1000 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })());
  return { endpoint: `unix://${socket}`, socket, shim, fakes, close, [Symbol.asyncDispose]: close };
}
