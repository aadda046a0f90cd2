import { join } from 'node:path';
import { provideFactory, type ShimModule } from '../../shim/modules.js';
import { Tokens } from '../../tokens.js';
import { ImageStoreBackend } from './image-store-backend.js';
import type { ImageStoreBackendOptions } from './image-store-backend-options.js';

/** Options of {@link imageStoreModule}: the backend's, with `root`, `logger` and `metrics` defaulting to the shim's. */
export type ImageStoreModuleOptions = Partial<ImageStoreBackendOptions>;

/**
 * Registers an {@link ImageStoreBackend} as the shim's ImageBackend, its store under
 * `<shim root>/images` unless `root` is given, logging to the shim's logger.
 *
 * ```ts
 * imageStoreModule({ registry: { hosts: { 'docker.io': { mirrors: ['mirror.local:5000'] } } }, dockerConfig: true })
 * ```
 */
export function imageStoreModule(options: ImageStoreModuleOptions = {}): ShimModule {
  return provideFactory(Tokens.ImageBackend, (container) =>
    new ImageStoreBackend({
      ...options,
      root: options.root ?? join(container.resolve(Tokens.ShimConfig).root, 'images'),
      logger: options.logger ?? container.resolve(Tokens.Logger),
      metrics: options.metrics ?? container.resolve(Tokens.Metrics),
      helper: container.resolve(Tokens.HostHelper),
    }),
  );
}
