import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Platform } from '@shimkit/oci-spec';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { ImageStore } from '../image-store.js';
import type { ImageRecord } from '../images/image-record.js';
import { BuildCache } from './build-cache.js';
import { loadIgnoreFile } from './build-context.js';
import { BuildSession } from './build-session.js';
import { buildStage } from './build-stage.js';
import { neededStages, stageIndex } from './build-stages.js';
import { parseContainerfile } from './containerfile.js';
import type { StepRunner } from './step-runner.js';

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  /** The build context directory (COPY and ADD sources, the ignore file). */
  context: string;
  /** The Containerfile (default: `Containerfile`, else `Dockerfile`, in the context). */
  file?: string;
  /** Name for the result (`example.com/app:v1`); without one the image is only known by its id. */
  tag?: string;
  /** `--build-arg`s: values for ARGs. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Build up to this stage (name or index) instead of the last one. */
  target?: string;
  /** Run every step, taking nothing from the layer cache (what is built is still cached). */
  noCache?: boolean;
  /** Network of RUN steps without `--network` (default `none`). */
  network?: 'none' | 'host';
  /** Platform of images pulled for FROM and of a scratch image (default: this host's). */
  platform?: Platform;
  /** Runs RUN steps. */
  runner: StepRunner;
  /** Called as each step starts, or is taken from the cache. */
  onStep?: (step: BuildStepEvent) => void;
  /** Output of RUN steps as it comes. */
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

export interface BuildStepEvent {
  stage: number;
  /** 1-based step number over the whole build, and the count of steps. */
  step: number;
  of: number;
  text: string;
  cached: boolean;
}

export interface BuildResult {
  image: ImageRecord;
  /** Steps that made a layer by running or copying, and steps whose layer came from the cache. */
  stepsRun: number;
  stepsCached: number;
}

async function findContainerfile(context: string, file: string | undefined): Promise<{ path: string; text: string }> {
  const candidates = file !== undefined ? [file] : [join(context, 'Containerfile'), join(context, 'Dockerfile')];
  for (const path of candidates) {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new ImageStoreError('INVALID_ARGUMENT', `cannot read ${path}: ${e.message}`, { cause: e });
    });
    if (text !== undefined) return { path, text };
  }
  throw new ImageStoreError('NOT_FOUND', file !== undefined ? `Containerfile ${file} does not exist` : `no Containerfile or Dockerfile in ${context}`);
}

/**
 * Builds an image from a Containerfile into `store`, as `buildah bud --layers` does: each RUN,
 * COPY and ADD step makes a layer (the diff of an overlay on the step before), other
 * instructions change the config, and every step is cached by its parent and its inputs (the
 * instruction as expanded, the build args a RUN sees, the digests of copied files), so a
 * rebuild reruns only from the first step whose inputs changed. Intermediate images have no
 * name (gc({ pruneUnnamed: true }) prunes them); the result gets `tag`. A failed step leaves no
 * mount, rootfs or image behind.
 */
export async function buildImage(store: ImageStore, options: BuildImageOptions): Promise<BuildResult> {
  const { signal } = options;
  throwIfAborted(signal, 'build');
  if (store.snapshotter !== 'overlay') throw new ImageStoreError('INVALID_ARGUMENT', 'builds need the overlay snapshotter (steps run on an overlay of the step before)');
  const { path: filePath, text } = await findContainerfile(options.context, options.file);
  const file = parseContainerfile(text, { file: basename(filePath) });
  let target = file.stages.length - 1;
  if (options.target !== undefined) {
    const index = stageIndex(file, options.target);
    const found = index === undefined ? undefined : file.stages[index];
    if (found === undefined) throw new ImageStoreError('INVALID_ARGUMENT', `--target ${options.target}: no such stage in ${basename(filePath)}`);
    target = found.index;
  }
  const build = new BuildSession(store, options, file, await loadIgnoreFile(options.context), await BuildCache.open(store.root));
  const needed = neededStages(file, target);
  // Under one lease: gc (of any process sharing the store) must not prune the unnamed step images between steps.
  return store.lease(async () => {
    for (const stage of file.stages) {
      if (stage.index > target) break;
      if (needed.has(stage.index)) await buildStage(build, stage);
    }
    let image = build.results.get(target);
    if (image === undefined) throw new ImageStoreError('INVALID_ARGUMENT', 'the build made no image: its last stage is FROM scratch with nothing in it');
    if (options.tag !== undefined) image = await store.tag(image.id, options.tag, { signal });
    return { image, stepsRun: build.stepsRun, stepsCached: build.stepsCached };
  });
}
