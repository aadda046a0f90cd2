import { expect } from 'vitest';
import { criCase, type CriSuite } from './cri-suite-context.js';

/** PullImage, ImageStatus, ListImages and RemoveImage. */
export function imageCases(suite: CriSuite): void {
  criCase(suite, 'image-pull-status-list', 'pulls an image; ImageStatus by name and by the returned ref, and ListImages show it', async () => {
    const { image } = suite.cri();
    const { imageRef } = await image.pullImage({ image: { image: suite.image() } });
    expect(imageRef).not.toBe('');
    const { image: byName } = await image.imageStatus({ image: { image: suite.image() } });
    expect(byName?.id).toBe(imageRef);
    expect(byName?.repoTags).toContain(suite.image());
    expect(byName?.repoDigests.length, 'repo digests').toBeGreaterThan(0);
    expect(byName?.size, 'size').toBeGreaterThan(0n);
    expect((await image.imageStatus({ image: { image: imageRef } })).image?.id).toBe(imageRef);
    const { images } = await image.listImages({});
    expect(images.find((i) => i.id === imageRef)?.repoTags).toContain(suite.image());
  });

  criCase(suite, 'image-remove', 'removes an image: its status is empty, a second remove succeeds, a pull brings it back', async () => {
    const { image } = suite.cri();
    const { imageRef } = await image.pullImage({ image: { image: suite.image() } });
    await image.removeImage({ image: { image: suite.image() } });
    expect((await image.imageStatus({ image: { image: suite.image() } })).image, 'status of a removed image').toBeUndefined();
    expect((await image.listImages({})).images.some((i) => i.id === imageRef)).toBe(false);
    await image.removeImage({ image: { image: suite.image() } });
    expect((await image.pullImage({ image: { image: suite.image() } })).imageRef).toBe(imageRef);
  });

  criCase(suite, 'image-pull-missing', 'fails to pull a reference the registry does not have and names it', async () => {
    const missing = suite.missingImage();
    await expect(suite.cri().image.pullImage({ image: { image: missing } })).rejects.toThrow(missing);
    expect((await suite.cri().image.imageStatus({ image: { image: missing } })).image).toBeUndefined();
  });
}

/** ImageFsInfo: what kubelet's image garbage collection reads. */
export function imageFsCases(suite: CriSuite): void {
  criCase(suite, 'image-fs-info', 'ImageFsInfo reports the image filesystem: its mount point, used bytes and a timestamp', async () => {
    await suite.cri().image.pullImage({ image: { image: suite.image() } });
    const { imageFilesystems } = await suite.cri().image.imageFsInfo({});
    expect(imageFilesystems.length, 'image filesystems').toBeGreaterThan(0);
    for (const fs of imageFilesystems) {
      expect(fs.fsId?.mountpoint, 'mount point').toMatch(/^\//);
      // a runtime may measure usage periodically (containerd every 10 s), so a fresh pull can read 0
      expect(typeof fs.usedBytes?.value, 'used bytes').toBe('bigint');
      expect(fs.timestamp, 'timestamp in ns').toBeGreaterThan(0n);
    }
  });
}
