// What `shimkit serve` loads: the CRI server with gRPC and every default module, its config and
// registry files, systemd's socket and notifications. The build bundles it into one module
// (build/bundle-cli.mjs).
export { isCriError } from '@shimkit/cri-types';
export { isShimError } from '../errors.js';
export { createShim } from '../shim/create-shim.js';
export { provide } from '../shim/modules.js';
export { Tokens } from '../tokens.js';
export { ImageStoreBackend } from '../modules/images/image-store-backend.js';
export { loadShimConfigFile } from './config-file.js';
export { checkRegistryFiles, reloadRegistryOnHangup, withContainersDefaults } from './serve-registry.js';
export { systemdNotifier, takeListenFd } from './systemd.js';
