import type { DeepPartial, Image } from '@shimkit/cri-types';
import type { ImageRecord } from '../interfaces/image-backend.js';

/** An image as ListImages and ImageStatus return it; the user comes from the image config (`uid` or a name). */
export function toImage(record: ImageRecord): DeepPartial<Image> {
  const user = (record.config.config?.User ?? '').split(':')[0] ?? '';
  const numeric = /^\d+$/.test(user);
  return {
    id: record.id,
    repoTags: record.repoTags,
    repoDigests: record.repoDigests,
    size: record.size,
    uid: numeric ? { value: BigInt(user) } : undefined,
    username: numeric ? '' : user,
    spec: { image: record.id },
    pinned: record.pinned,
  };
}
