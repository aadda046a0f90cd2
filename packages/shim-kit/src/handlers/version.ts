import type { VersionRequest, VersionResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/** The CRI version this shim speaks. */
export const CRI_API_VERSION = 'v1';

/** Version: the shim's name and version and the CRI API version. */
export const version: ShimHandler<VersionRequest, VersionResponse> = async (shim) => ({
  version: '0.1.0',
  runtimeName: shim.config.runtimeName,
  runtimeVersion: shim.config.runtimeVersion,
  runtimeApiVersion: CRI_API_VERSION,
});
