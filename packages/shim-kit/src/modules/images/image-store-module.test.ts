import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeShimContainer } from '../../shim/create-shim.js';
import type { ShimConfig } from '../../shim/shim-config.js';
import { fakeModules } from '../../testing/fakes.js';
import { Tokens } from '../../tokens.js';
import { ImageStoreBackend } from './image-store-backend.js';
import { imageStoreModule } from './image-store-module.js';

const config = (root: string): ShimConfig => ({
  socket: '/nonexistent/cri.sock',
  root,
  state: '/nonexistent/state',
  runtimeName: 'shimkit',
  runtimeVersion: '0.0.0',
  restrictOomScoreAdj: true,
  ownOomScoreAdj: 0,
  execSyncMaxOutputBytes: 1024,
  streamChunkSize: 10,
});

describe('imageStoreModule', () => {
  it('registers an ImageStoreBackend under <shim root>/images, once', () => {
    const container = composeShimContainer(config('/var/lib/test-shim'), [...fakeModules(), imageStoreModule()]);
    const images = container.resolve(Tokens.ImageBackend);
    expect(images).toBeInstanceOf(ImageStoreBackend);
    expect((images as ImageStoreBackend).root).toBe(join('/var/lib/test-shim', 'images'));
    expect(container.resolve(Tokens.ImageBackend)).toBe(images);
  });

  it('takes a root and registry settings of its own; a bad docker config fails the first call', async () => {
    const container = composeShimContainer(config('/var/lib/test-shim'), [
      ...fakeModules(),
      imageStoreModule({ root: '/nonexistent/shimkit-images', dockerConfig: '/nonexistent/shimkit/config.json' }),
    ]);
    const images = container.resolve(Tokens.ImageBackend) as ImageStoreBackend;
    expect(images.root).toBe('/nonexistent/shimkit-images');
    await expect(images.list()).rejects.toThrow(/\/nonexistent\/shimkit\/config\.json/);
    await images.close();
  });

  it('refuses a bad pinned image when the shim resolves it', () => {
    const container = composeShimContainer(config('/tmp'), [...fakeModules(), imageStoreModule({ pinnedImages: ['Bad Name'] })]);
    expect(() => container.resolve(Tokens.ImageBackend)).toThrow(/pinned image "Bad Name"/);
  });
});
