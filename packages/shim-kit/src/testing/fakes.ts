import { provide, type ShimModule } from '../shim/modules.js';
import { Tokens } from '../tokens.js';
import { FakeImageBackend, type FakeImageBackendOptions } from './fake-image-backend.js';
import { FakePodNetwork } from './fake-pod-network.js';
import { FakeRuntimeBackend } from './fake-runtime-backend.js';

/** The three fake backends and the modules that register them. */
export interface Fakes {
  runtime: FakeRuntimeBackend;
  images: FakeImageBackend;
  network: FakePodNetwork;
  /** Registers the three fakes; pass to `createShim({ modules })`. */
  modules: ShimModule[];
}

/** New fake backends (runtime, images, network) and the modules registering them. */
export function createFakes(options: { images?: FakeImageBackendOptions; supportsLogReopen?: boolean } = {}): Fakes {
  const runtime = new FakeRuntimeBackend(options.supportsLogReopen === undefined ? {} : { supportsLogReopen: options.supportsLogReopen });
  const images = new FakeImageBackend(options.images);
  const network = new FakePodNetwork();
  return {
    runtime,
    images,
    network,
    modules: [provide(Tokens.RuntimeBackend, runtime), provide(Tokens.ImageBackend, images), provide(Tokens.PodNetwork, network)],
  };
}

/** Modules registering new fake backends, when the test needs no handle on them. */
export function fakeModules(): ShimModule[] {
  return createFakes().modules;
}
