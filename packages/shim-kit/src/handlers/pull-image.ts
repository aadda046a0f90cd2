import type { PullImageRequest, PullImageResponse } from '@shimkit/cri-types';
import type { RegistryAuth } from '../interfaces/image-backend.js';
import type { ShimHandler } from './handler.js';
import { required, requiredString } from './support.js';

/** PullImage with the request's AuthConfig; answers the image id (the same id ImageStatus and ContainerStatus report). */
export const pullImage: ShimHandler<PullImageRequest, PullImageResponse> = async (shim, request, ctx) => {
  const ref = requiredString(required(request.image, 'image').image, 'image.image');
  const a = request.auth;
  const auth: RegistryAuth | undefined =
    a === undefined
      ? undefined
      : Object.fromEntries(Object.entries(a).filter(([, v]) => typeof v === 'string' && v !== '')) as RegistryAuth;
  const image = await shim.images.pull(ref, { signal: ctx.signal, ...(auth === undefined ? {} : { auth }) });
  return { imageRef: image.id };
};
