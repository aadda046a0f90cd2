import type { DeepPartial, FilesystemUsage, ImageFsInfoRequest, ImageFsInfoResponse } from '@shimkit/cri-types';
import type { FilesystemUsageInfo } from '../interfaces/image-backend.js';
import type { ShimHandler } from './handler.js';

/** ImageFsInfo: usage of the image (and container layer) filesystems from the ImageBackend. */
export const imageFsInfo: ShimHandler<ImageFsInfoRequest, ImageFsInfoResponse> = async (shim, _request, ctx) => {
  const info = await shim.images.fsInfo({ signal: ctx.signal });
  const timestamp = shim.clock.nowNs();
  const usage = (u: FilesystemUsageInfo): DeepPartial<FilesystemUsage> => ({
    timestamp,
    fsId: { mountpoint: u.mountpoint },
    usedBytes: { value: u.usedBytes },
    inodesUsed: { value: u.inodesUsed },
  });
  return { imageFilesystems: info.images.map(usage), containerFilesystems: info.containers.map(usage) };
};
