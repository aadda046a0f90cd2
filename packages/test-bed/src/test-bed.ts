import { startContainerd, type Containerd } from './containerd.js';
import { startRegistry, type Registry } from './registry.js';
import { pushTestImages, type TestImages } from './test-images.js';

/** A registry with the test images pushed, and a containerd pulling from it. */
export interface TestBed extends AsyncDisposable {
  readonly registry: Registry;
  readonly images: TestImages;
  readonly containerd: Containerd;
  /** Closes containerd, then the registry. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the whole test bed: {@link startRegistry}, {@link pushTestImages} and
 * {@link startContainerd} with the pushed pause image as its sandbox image.
 * Anything already started is closed again if a later step fails.
 */
export async function startTestBed(options: { signal?: AbortSignal } = {}): Promise<TestBed> {
  const { signal } = options;
  const registry = await startRegistry({ signal });
  try {
    const images = await pushTestImages(registry, { signal });
    const containerd = await startContainerd({ registry, pauseImage: images.pause.reference, signal });
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        try {
          await containerd.close();
        } finally {
          await registry.close();
        }
      })());
    return { registry, images, containerd, close, [Symbol.asyncDispose]: close };
  } catch (err) {
    await registry.close();
    throw err;
  }
}
