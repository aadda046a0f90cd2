// The test images of @shimkit/test-bed, built and pushed by @shimkit/image-store
// instead of umoci and skopeo. Same inputs, same result shape, same errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageRecord, ImageStore as ImageStoreType } from '@shimkit/image-store';
import { ImageStore } from '@shimkit/image-store';
import type { PushTarget, TestImage, TestImages } from '@shimkit/test-bed';
import { createBusyboxRootfs, PAUSE_SCRIPT, TestBedError } from '@shimkit/test-bed';

const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TestBedError('ABORTED', 'pushTestImages: aborted', { cause: signal.reason });
}

async function pushOne(store: ImageStoreType, built: ImageRecord, reference: string, signal: AbortSignal | undefined): Promise<TestImage> {
  const repository = reference.slice(0, reference.lastIndexOf(':'));
  const digest = await store.push(built.id, reference, { signal });
  return {
    reference,
    repository,
    digest,
    canonical: `${repository}@${digest}`,
    layers: built.layers.map((l) => l.digest),
    configDigest: built.id,
  };
}

/**
 * Builds a `busybox` and a `pause` image from scratch with image-store's
 * builder (one layer: test-bed's busybox rootfs) and pushes both to the
 * plain-HTTP registry `target.host` as `<host>/busybox:latest` and
 * `<host>/pause:latest`, with `target.auth` when given. A drop-in for
 * test-bed's `pushTestImages`: failures are `TestBedError`s (`ABORTED`,
 * `COMMAND_FAILED` with the image-store error as `cause`).
 */
export async function pushTestImages(target: PushTarget, options: { signal?: AbortSignal } = {}): Promise<TestImages> {
  const { signal } = options;
  throwIfAborted(signal);
  if (typeof target?.host !== 'string' || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/.test(target.host)) {
    throw new TestBedError('INVALID_ARGUMENT', `pushTestImages: target.host must be "host:port", got ${JSON.stringify(target?.host)}`);
  }
  const work = await mkdtemp(join(tmpdir(), 'shimkit-test-images-'));
  try {
    const rootfs = join(work, 'rootfs');
    await createBusyboxRootfs(rootfs, { signal });
    const store = await ImageStore.open({
      root: join(work, 'store'),
      keepLayerBlobs: true,
      snapshotter: 'copy',
      registry: { hosts: { [target.host]: { plainHttp: true, ...(target.auth ? { credentials: { ...target.auth } } : {}) } } },
      signal,
    });
    try {
      // From scratch for this host's platform (linux/amd64 here): the layer holds the host's busybox binary.
      const builder = store.builder();
      const busybox = await builder
        .addDirectory(rootfs)
        .configure({ env: { PATH: PATH_ENV }, workingDir: '/', cmd: ['sh'] })
        .commit(`${target.host}/busybox:latest`, { signal });
      // Continues from busybox: same layer, same config except the command.
      const pause = await builder.configure({ cmd: ['/bin/sh', '-c', PAUSE_SCRIPT] }).commit(`${target.host}/pause:latest`, { signal });
      return {
        busybox: await pushOne(store, busybox, `${target.host}/busybox:latest`, signal),
        pause: await pushOne(store, pause, `${target.host}/pause:latest`, signal),
      };
    } finally {
      await store.close();
    }
  } catch (err) {
    if (err instanceof TestBedError) throw err;
    if (signal?.aborted) throw new TestBedError('ABORTED', 'pushTestImages: aborted', { cause: err });
    throw new TestBedError('COMMAND_FAILED', `pushTestImages: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
