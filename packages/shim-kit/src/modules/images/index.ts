// The default ImageBackend: images in @shimkit/image-store.
export { ImageStoreBackend, type ImageStoreRootfs } from './image-store-backend.js';
export type { ImageRegistryOptions, ImageStoreBackendOptions } from './image-store-backend-options.js';
export type { RegistrySettings } from './registry-options.js';
export { imageStoreModule, type ImageStoreModuleOptions } from './image-store-module.js';
export { credentialsFromAuth } from './registry-auth.js';
