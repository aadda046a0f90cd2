import type { ImageFsInfoRequest, ImageFsInfoResponse } from '@shimkit/cri-types';
import { toFilesystemUsage } from '../convert/to-cri.js';
import type { ShimHandler } from './handler.js';

/** ImageFsInfo: usage of the image (and container layer) filesystems from the ImageBackend. */
export const imageFsInfo: ShimHandler<ImageFsInfoRequest, ImageFsInfoResponse> = async (shim, _request, ctx) => {
  const info = await shim.images.fsInfo({ signal: ctx.signal });
  const timestamp = shim.clock.nowNs();
  return { imageFilesystems: info.images.map((u) => toFilesystemUsage(u, timestamp)), containerFilesystems: info.containers.map((u) => toFilesystemUsage(u, timestamp)) };
};
