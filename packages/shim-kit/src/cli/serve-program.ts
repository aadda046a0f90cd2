// What `shimkit serve` loads: the CRI server with gRPC and every default module. The build
// bundles it into one module (build/bundle-cli.mjs).
export { isCriError } from '@shimkit/cri-types';
export { isShimError } from '../errors.js';
export { createShim } from '../shim/create-shim.js';
export { provide } from '../shim/modules.js';
export { Tokens } from '../tokens.js';
