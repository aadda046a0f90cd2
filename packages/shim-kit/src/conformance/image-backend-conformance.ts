import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageBackend } from '../interfaces/image-backend.js';

/** What an ImageBackend conformance run needs. */
export interface ImageBackendHarness {
  create(): Promise<ImageBackend>;
  /** A reference the backend can pull (a local registry for a real backend). */
  pullableRef: string;
  /** The tag `pullableRef` is listed under (normalized, e.g. `docker.io/library/busybox:latest`). */
  expectedTag: string;
  cleanup?(): Promise<void>;
}

/** The behaviour every {@link ImageBackend} must have: pull, lookups by name and id, rootfs, idempotent removal. */
export function imageBackendConformance(name: string, harness: ImageBackendHarness): void {
  describe(`ImageBackend conformance: ${name}`, () => {
    let images: ImageBackend;
    beforeEach(async () => {
      images = await harness.create();
    });
    afterEach(async () => {
      await images.close();
      await harness.cleanup?.();
    });

    it('pulls an image and finds it by name and by id, with one id everywhere', async () => {
      const pulled = await images.pull(harness.pullableRef);
      expect(pulled.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(pulled.repoTags).toContain(harness.expectedTag);
      expect((await images.status(harness.pullableRef))?.id).toBe(pulled.id);
      expect((await images.status(pulled.id))?.id).toBe(pulled.id);
      expect((await images.list()).map((i) => i.id)).toContain(pulled.id);
      expect((await images.pull(harness.pullableRef)).id).toBe(pulled.id);
      const fs = await images.fsInfo();
      expect(fs.images.length).toBeGreaterThan(0);
    });

    it('prepares and releases container root filesystems (release is idempotent); reports their writable layer if it can', async () => {
      const image = await images.pull(harness.pullableRef);
      const id = `ctr-${process.pid}`;
      const rootfs = await images.prepareRootfs(id, image.id);
      expect(rootfs.path.startsWith('/')).toBe(true);
      if (images.rootfsUsage) {
        const usage = await images.rootfsUsage(id);
        expect(usage?.mountpoint.startsWith('/')).toBe(true);
        expect(usage?.inodesUsed).toBeTypeOf('bigint');
      }
      await images.releaseRootfs(id);
      await images.releaseRootfs(id);
      if (images.rootfsUsage) expect(await images.rootfsUsage(id)).toBeUndefined();
    });

    it('answers undefined for a missing image and removes idempotently', async () => {
      expect(await images.status('docker.io/library/never-pulled-anywhere:nope')).toBeUndefined();
      const image = await images.pull(harness.pullableRef);
      await images.remove(harness.pullableRef);
      expect(await images.status(image.id)).toBeUndefined();
      await images.remove(harness.pullableRef);
      await images.remove(image.id);
    });
  });
}
