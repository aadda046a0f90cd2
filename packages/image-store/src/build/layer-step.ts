import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { abortError, ImageStoreError, isImageStoreError } from '../errors.js';
import { Mounter } from '../snapshot/mount.js';
import { stepKey } from './build-cache.js';
import type { StageContext } from './build-session.js';
import { replaceConfig } from './commit-config.js';
import { makeDirInRoot } from './copy-into-root.js';
import { diffUpperDir } from './upper-diff.js';

/** A step that makes a layer: RUN, COPY, ADD, or a WORKDIR no other step made. */
export interface LayerStep {
  /** The instruction as shown to the user; '' for the WORKDIR step, which is not shown. */
  text: string;
  /** What the step's result depends on, after the key of the state before it. */
  inputs: string[];
  /** Its history entry; '' for the WORKDIR step, whose WORKDIR's pending entry gets the layer. */
  createdBy: string;
  /** Changes the rootfs (an overlay on the state's image); what it changed becomes the layer. */
  work: (rootfs: string) => Promise<void>;
  /** Commit a layer only when the upper directory is not empty. */
  layerOnlyIfChanged?: boolean;
}

/** Takes the step's image from the cache when its key is there, else runs `work` on a fresh overlay whose upper dir becomes the layer. */
export async function layerStep(at: StageContext, step: LayerStep): Promise<void> {
  const { session, stage, state } = at;
  const { text, createdBy } = step;
  const key = stepKey(state.key, ...step.inputs);
  const signal = session.signal;
  if (!session.options.noCache) {
    const hit = await session.cached(key);
    if (hit !== undefined) {
      if (text !== '') {
        session.emit(stage.index, text, true);
        session.stepsCached++;
      }
      delete state.workdirToMake;
      state.image = hit;
      state.config = structuredClone(hit.config.config ?? {});
      delete state.config.OnBuild;
      state.pending = [];
      state.key = key;
      return;
    }
  }
  if (text !== '') session.emit(stage.index, text, false);
  const id = `build-${randomBytes(8).toString('hex')}`;
  let layered = true;
  const snapshots = session.store.snapshots;
  try {
    const rootfs = await snapshots.createRootfs(id, state.image?.chainIds ?? [], signal ? { signal } : {});
    if (state.workdirToMake !== undefined) await makeDirInRoot(rootfs.path, state.workdirToMake);
    delete state.workdirToMake;
    await step.work(rootfs.path);
    // Unmounted first: the upper directory is then only ours, to read and to move.
    await new Mounter(snapshots.helper).unmount(rootfs.path);
    const upper = join(dirname(rootfs.path), 'upper');
    const builder = session.store.builder({ ...(state.image ? { from: state.image.id } : {}), platform: session.platform });
    const config = state.config;
    layered = !step.layerOnlyIfChanged || (await readdir(upper)).length > 0;
    // The upper directory is what the layer's overlay snapshot would hold: it is moved there, not unpacked again.
    const moveUpper = async (dir: string): Promise<void> => {
      await rm(dir, { recursive: true, force: true });
      await rename(upper, dir);
    };
    if (layered) builder.addLayerTar(() => diffUpperDir(upper, { helper: snapshots.helper, end: false, ...(signal ? { signal } : {}) }), { snapshot: moveUpper });
    builder.editConfig((c) => replaceConfig(c, config));
    // The WORKDIR step has no entry of its own: its WORKDIR's entry gets the layer.
    const history = createdBy === '' ? state.pending.map((h, i, all) => (layered && i === all.length - 1 ? { created_by: h.created_by } : h)) : [...state.pending, { created_by: createdBy }];
    state.image = await builder.commit(undefined, { history, ...(signal ? { signal } : {}) });
  } catch (e) {
    if (signal?.aborted) throw abortError(signal, `build step ${text}`);
    if (isImageStoreError(e)) throw e;
    throw new ImageStoreError('BUILD_STEP_FAILED', `${text}: ${(e as Error).message}`, { cause: e });
  } finally {
    await snapshots.removeRootfs(id).catch(() => undefined);
  }
  if (layered) session.stepsRun++;
  state.pending = [];
  state.key = key;
  await session.cache.set(key, state.image.id);
}
