import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { ImageStoreError } from '../errors.js';
import type { ImageRecord } from '../images/image-record.js';
import type { StageContext } from './build-session.js';

/** The rootfs of COPY `--from=ref` (an earlier stage or an image), mounted until `release`. */
export async function mountCopyFrom(at: StageContext, from: { ref: string; what: string }): Promise<{ dir: string; release: () => Promise<void> }> {
  const { session, stage } = at;
  const { ref, what } = from;
  const index = session.stageRef(ref);
  let image: ImageRecord | undefined;
  if (index !== undefined) {
    if (index >= stage.index) throw new ImageStoreError('BUILD_SYNTAX', `${what}: --from=${ref} names this stage or a later one`);
    image = session.results.get(index);
  } else image = await session.image(ref);
  const id = `build-from-${randomBytes(6).toString('hex')}`;
  const snapshots = session.store.snapshots;
  const rootfs = await snapshots.createRootfs(id, image?.chainIds ?? [], session.signal ? { signal: session.signal } : {});
  return { dir: await realpath(rootfs.path), release: async () => void (await snapshots.removeRootfs(id)) };
}
