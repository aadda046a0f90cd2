import type { Platform } from '@shimkit/oci-spec';
import { hostPlatform } from '@shimkit/oci-spec';
import type { ImageStore } from '../image-store.js';
import type { ImageRecord } from '../images/image-record.js';
import type { BuildCache } from './build-cache.js';
import type { IgnoreMatcher } from './build-context.js';
import type { BuildImageOptions } from './build-image.js';
import { stageIndex } from './build-stages.js';
import type { Containerfile, Stage } from './containerfile.js';
import { expandWords } from './shell-words.js';
import type { StageState } from './stage-state.js';

/** Where a step runs: the build, the stage and the stage's state so far. */
export interface StageContext {
  session: BuildSession;
  stage: Stage;
  state: StageState;
}

/**
 * One build in progress: what every step reads (the store, the options, the Containerfile, the
 * ignore rules, the cache, the global ARGs) and what the steps add up (each stage's image, the
 * step count and the counts of steps run and taken from the cache).
 */
export class BuildSession {
  /** Each built stage's image (undefined for a stage left empty on scratch). */
  readonly results = new Map<number, ImageRecord | undefined>();
  stepsRun = 0;
  stepsCached = 0;
  readonly globals = new Map<string, string>();
  readonly platform: Platform;
  private step = 0;
  private readonly of: number;

  constructor(
    readonly store: ImageStore,
    readonly options: BuildImageOptions,
    readonly file: Containerfile,
    readonly ignored: IgnoreMatcher,
    readonly cache: BuildCache,
  ) {
    this.of = file.stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    this.platform = options.platform ?? hostPlatform();
    for (const arg of file.globalArgs) {
      const value = options.buildArgs?.[arg.name] ?? (arg.hasDefault ? expandWords(arg.raw, this.globals) : undefined);
      if (value !== undefined) this.globals.set(arg.name, value);
    }
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** Tells the caller the next step started (or was taken from the cache). */
  emit(stage: number, text: string, cached: boolean): void {
    this.step++;
    this.options.onStep?.({ stage, step: this.step, of: this.of, text, cached });
  }

  stageRef(ref: string): number | undefined {
    return stageIndex(this.file, ref);
  }

  /** An image for FROM or COPY --from: from the store, else pulled for the build's platform. */
  async image(ref: string): Promise<ImageRecord> {
    const held = this.store.get(ref);
    if (held !== undefined) return held;
    return this.store.pull(ref, { platform: this.platform, ...(this.signal ? { signal: this.signal } : {}) });
  }

  /** The image the cache has for `key`, if it and all its layers' snapshots are still there. */
  async cached(key: string): Promise<ImageRecord | undefined> {
    const id = this.cache.get(key);
    const image = id === undefined ? undefined : this.store.get(id);
    if (image === undefined) return undefined;
    for (const c of image.chainIds) if (!(await this.store.snapshots.has(c))) return undefined;
    return image;
  }
}
