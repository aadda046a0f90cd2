import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { ImageExecConfig, Platform } from '@shimkit/oci-spec';
import { hostPlatform, readFileInRoot, resolveImageUser } from '@shimkit/oci-spec';
import { abortError, ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import type { ImageStore } from '../image-store.js';
import type { ImageRecord } from '../images/image-record.js';
import { BuildCache, stepKey } from './build-cache.js';
import type { IgnoreMatcher, SourcePath } from './build-context.js';
import { digestSources, loadIgnoreFile, resolveSources } from './build-context.js';
import type { Containerfile, Instruction, Stage } from './containerfile.js';
import { parseContainerfile } from './containerfile.js';
import { copyIntoRoot, makeDirInRoot } from './copy-into-root.js';
import { fetchSource } from './fetch-source.js';
import { applyConfigInstruction } from './config-instruction.js';
import { isDirInImage } from './image-view.js';
import { expandWords } from './shell-words.js';
import type { StageState } from './stage-state.js';
import { DEFAULT_SHELL, stageVars } from './stage-state.js';
import type { StepRunner } from './step-runner.js';
import { diffUpperDir } from './upper-diff.js';
import { Mounter } from '../snapshot/mount.js';

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

/** The stages the target needs (FROM a stage, COPY --from a stage), in order. */
function neededStages(file: Containerfile, target: number): Set<number> {
  const byName = (ref: string): number | undefined => {
    const lower = ref.toLowerCase();
    const named = file.stages.find((s) => s.name === lower);
    if (named) return named.index;
    return /^\d+$/.test(ref) ? Number(ref) : undefined;
  };
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    const stage = file.stages[i]!;
    const from = byName(stage.from);
    if (from !== undefined && from < i) visit(from);
    for (const ins of stage.instructions) {
      if (ins.kind === 'COPY' && ins.from !== undefined) {
        const s = byName(ins.from);
        if (s !== undefined && s < i) visit(s);
      }
    }
  };
  visit(target);
  return needed;
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
    const found = file.stages.find((s) => s.name === options.target!.toLowerCase()) ?? (/^\d+$/.test(options.target) ? file.stages[Number(options.target)] : undefined);
    if (found === undefined) throw new ImageStoreError('INVALID_ARGUMENT', `--target ${options.target}: no such stage in ${basename(filePath)}`);
    target = found.index;
  }
  const build = new Build(store, options, file, await loadIgnoreFile(options.context), await BuildCache.open(store.root));
  const needed = neededStages(file, target);
  // Under one lease: gc (of any process sharing the store) must not prune the unnamed step images between steps.
  return store.lease(async () => {
    for (const stage of file.stages) {
      if (stage.index > target) break;
      if (needed.has(stage.index)) await build.stage(stage);
    }
    let image = build.results.get(target);
    if (image === undefined) throw new ImageStoreError('INVALID_ARGUMENT', 'the build made no image: its last stage is FROM scratch with nothing in it');
    if (options.tag !== undefined) image = await store.tag(image.id, options.tag, { signal });
    return { image, stepsRun: build.stepsRun, stepsCached: build.stepsCached };
  });
}

class Build {
  readonly results = new Map<number, ImageRecord | undefined>();
  stepsRun = 0;
  stepsCached = 0;
  private step = 0;
  private readonly of: number;
  private readonly globals = new Map<string, string>();
  private readonly platform: Platform;

  constructor(
    private readonly store: ImageStore,
    private readonly options: BuildImageOptions,
    private readonly file: Containerfile,
    private readonly ignored: IgnoreMatcher,
    private readonly cache: BuildCache,
  ) {
    this.of = file.stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    this.platform = options.platform ?? hostPlatform();
    for (const arg of file.globalArgs) {
      const value = options.buildArgs?.[arg.name] ?? (arg.hasDefault ? expandWords(arg.raw, this.globals) : undefined);
      if (value !== undefined) this.globals.set(arg.name, value);
    }
  }

  private emit(stage: number, text: string, cached: boolean): void {
    this.step++;
    this.options.onStep?.({ stage, step: this.step, of: this.of, text, cached });
  }

  private stageRef(ref: string): number | undefined {
    const lower = ref.toLowerCase();
    return this.file.stages.find((s) => s.name === lower)?.index ?? (/^\d+$/.test(ref) ? Number(ref) : undefined);
  }

  private async image(ref: string): Promise<ImageRecord> {
    const held = this.store.get(ref);
    if (held !== undefined) return held;
    return this.store.pull(ref, { platform: this.platform, ...(this.options.signal ? { signal: this.options.signal } : {}) });
  }

  async stage(stage: Stage): Promise<void> {
    const from = expandWords(stage.from, this.globals);
    const fromStage = this.stageRef(from);
    let base: ImageRecord | undefined;
    if (fromStage !== undefined && fromStage < stage.index && this.results.has(fromStage)) base = this.results.get(fromStage);
    else if (from.toLowerCase() !== 'scratch') base = await this.image(from);
    this.emit(stage.index, `FROM ${from}${stage.name ? ` AS ${stage.name}` : ''}`, false);
    const state: StageState = {
      image: base,
      config: structuredClone(base?.config.config ?? {}),
      key: stepKey('FROM', base?.id ?? `scratch ${this.platform.os}/${this.platform.architecture}`),
      pending: [],
      args: new Map(),
      shell: base?.config.config?.Shell ?? DEFAULT_SHELL,
      cmdSet: false,
    };
    // A base image's ONBUILD triggers run first; they are not inherited further.
    const triggers = state.config.OnBuild ?? [];
    delete state.config.OnBuild;
    const instructions = triggers.length === 0 ? stage.instructions : [...parseContainerfile(`FROM scratch\n${triggers.join('\n')}\n`, { file: `ONBUILD of ${from}` }).stages[0]!.instructions, ...stage.instructions];
    for (const instruction of instructions) {
      throwIfAborted(this.options.signal, 'build');
      await this.instruction(stage, state, instruction);
    }
    // A WORKDIR no later step made: made now, in a layer of its own, unless the image has it.
    if (state.workdirToMake !== undefined && (await isDirInImage(this.store, state.image, state.workdirToMake))) delete state.workdirToMake;
    if (state.workdirToMake !== undefined) await this.layerStep(stage, state, '', ['WORKDIR'], '', async () => undefined, { layerOnlyIfChanged: true });
    if (state.pending.length > 0) await this.commitConfig(state);
    this.results.set(stage.index, state.image);
  }

  private async instruction(stage: Stage, state: StageState, ins: Instruction): Promise<void> {
    switch (ins.kind) {
      case 'RUN':
        return this.run(stage, state, ins);
      case 'COPY':
      case 'ADD':
        return this.copy(stage, state, ins);
      default:
        this.emit(stage.index, ins.text, false);
        applyConfigInstruction(state, ins, { globals: this.globals, ...(this.options.buildArgs ? { buildArgs: this.options.buildArgs } : {}) });
    }
  }

  private async run(stage: Stage, state: StageState, ins: Extract<Instruction, { kind: 'RUN' }>): Promise<void> {
    const argv = 'exec' in ins.command ? ins.command.exec : [...state.shell, ins.command.shell];
    const network = ins.network ?? this.options.network ?? 'none';
    if (network !== 'none' && network !== 'host') throw new ImageStoreError('BUILD_SYNTAX', `line ${ins.line}: RUN --network=${network}: only none and host are supported`);
    const envNames = new Set((state.config.Env ?? []).map((e) => e.split('=')[0]));
    const env = [...(state.config.Env ?? []), ...[...state.args].filter(([k]) => !envNames.has(k)).map(([k, v]) => `${k}=${v}`)];
    const createdBy = 'exec' in ins.command ? `/bin/sh -c #(nop) RUN ${JSON.stringify(argv)}` : `${state.shell.join(' ')} ${ins.command.shell}`;
    const inputs = ['RUN', JSON.stringify(argv), JSON.stringify([...state.args].sort()), network];
    await this.layerStep(stage, state, ins.text, inputs, createdBy, async (rootfs) => {
      await this.options.runner.runStep({
        rootfs,
        argv,
        env,
        cwd: state.config.WorkingDir || '/',
        user: state.config.User ?? '',
        network,
        config: { ...(state.image?.config ?? { architecture: this.platform.architecture, os: this.platform.os, rootfs: { type: 'layers', diff_ids: [] } }), config: state.config },
        ...(this.options.onOutput ? { onOutput: this.options.onOutput } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    });
  }

  private async copy(stage: Stage, state: StageState, ins: Extract<Instruction, { kind: 'COPY' | 'ADD' }>): Promise<void> {
    const vars = stageVars(state);
    const args = Array.isArray(ins.args) ? ins.args.map((a) => expandWords(a, vars)) : expandWords(ins.args, vars, { split: true });
    if (args.length < 2) throw new ImageStoreError('BUILD_SYNTAX', `line ${ins.line}: ${ins.kind} needs a source and a destination`);
    const destWord = args[args.length - 1]!;
    const patterns = args.slice(0, -1);
    const dest = posix.resolve(state.config.WorkingDir || '/', destWord);
    const destIsDir = destWord.endsWith('/') || patterns.length > 1 || destWord === '.' || destWord.endsWith('/.');
    const what = `line ${ins.line}: ${ins.kind}`;
    const isUrl = (p: string): boolean => /^https?:\/\//i.test(p);
    if (ins.kind === 'COPY' && patterns.some(isUrl)) throw new ImageStoreError('BUILD_SYNTAX', `${what}: COPY takes no URLs (ADD does)`);
    const chmod = ins.chmod === undefined ? undefined : expandWords(ins.chmod, vars);
    if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw new ImageStoreError('BUILD_SYNTAX', `${what}: --chmod=${chmod} is not an octal mode`);
    const chown = ins.chown === undefined ? undefined : expandWords(ins.chown, vars);

    let fromRoot: { dir: string; release: () => Promise<void> } | undefined;
    let downloads: string | undefined;
    if (ins.kind === 'COPY' && ins.from !== undefined) fromRoot = await this.mountFrom(stage, expandWords(ins.from, vars), what);
    try {
      const root = fromRoot?.dir ?? this.options.context;
      const ignored = fromRoot === undefined ? this.ignored : undefined;
      const sources: SourcePath[] = [];
      for (const p of patterns) {
        if (isUrl(p)) {
          // Under the store's root as `.archive-*`: a crash leaves it for the next open to remove.
          downloads ??= await mkdtemp(join(this.store.root, '.archive-build-'));
          sources.push(await fetchSource(p, downloads, { what, ...(this.options.signal ? { signal: this.options.signal } : {}) }));
          continue;
        }
        sources.push(...(await resolveSources(root, p, { what, ...(ignored ? { ignored } : {}), ...(this.options.signal ? { signal: this.options.signal } : {}) })));
      }
      if (fromRoot !== undefined) {
        for (const s of sources) {
          const real = await realpath(dirname(s.abs));
          if (real !== fromRoot.dir && !real.startsWith(`${fromRoot.dir}/`)) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: ${s.rel} leads outside the image of --from=${ins.from}`);
        }
      }
      const digest = await digestSources(sources, { ...(ignored ? { ignored } : {}), ...(this.options.signal ? { signal: this.options.signal } : {}) });
      const inputs = [ins.kind, JSON.stringify({ patterns, dest, destIsDir, chmod, chown, from: ins.from }), digest];
      // As buildah writes it: the destination as written, unexpanded.
      const writtenDest = Array.isArray(ins.args) ? ins.args[ins.args.length - 1]! : ins.args.trim().split(/\s+/).pop()!;
      const createdBy = `/bin/sh -c #(nop) ${ins.kind} ${sources.length === 1 && sources[0]!.stats.isDirectory() ? 'dir' : 'file'}:${digest} in ${writtenDest} `;
      await this.layerStep(stage, state, ins.text, inputs, createdBy, async (rootfs) => {
        const owner = chown === undefined ? undefined : await this.owner(rootfs, chown, what);
        await copyIntoRoot(rootfs, sources, {
          dest,
          destIsDir,
          ...(owner ? { owner } : {}),
          ...(chmod ? { mode: parseInt(chmod, 8) } : {}),
          ...(ignored ? { ignored } : {}),
          extractArchives: ins.kind === 'ADD',
          helper: this.store.snapshots.helper,
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        });
      });
    } finally {
      await fromRoot?.release();
      if (downloads !== undefined) await rm(downloads, { recursive: true, force: true });
    }
  }

  private async owner(rootfs: string, chown: string, what: string): Promise<{ uid: number; gid: number }> {
    const [user, group] = chown.split(':');
    const passwd = await readFileInRoot(rootfs, '/etc/passwd');
    const groups = await readFileInRoot(rootfs, '/etc/group');
    try {
      // A user alone gives its own primary group; `uid:gid` and names both work.
      const resolved = resolveImageUser(group === undefined ? user! : `${user}:${group}`, { ...(passwd ? { passwd } : {}), ...(groups ? { group: groups } : {}) });
      return { uid: resolved.uid, gid: group === undefined && /^\d+$/.test(user!) ? resolved.uid : resolved.gid };
    } catch (e) {
      throw new ImageStoreError('INVALID_ARGUMENT', `${what}: --chown=${chown}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async mountFrom(stage: Stage, ref: string, what: string): Promise<{ dir: string; release: () => Promise<void> }> {
    const index = this.stageRef(ref);
    let image: ImageRecord | undefined;
    if (index !== undefined) {
      if (index >= stage.index) throw new ImageStoreError('BUILD_SYNTAX', `${what}: --from=${ref} names this stage or a later one`);
      image = this.results.get(index);
    } else image = await this.image(ref);
    const id = `build-from-${randomBytes(6).toString('hex')}`;
    const rootfs = await this.store.snapshots.createRootfs(id, image?.chainIds ?? [], this.options.signal ? { signal: this.options.signal } : {});
    return { dir: await realpath(rootfs.path), release: async () => void (await this.store.snapshots.removeRootfs(id)) };
  }

  /** A step that makes a layer: from the cache when its key is there, else `work` on a fresh overlay whose upper dir becomes the layer. */
  private async layerStep(
    stage: Stage,
    state: StageState,
    text: string,
    inputs: string[],
    createdBy: string,
    work: (rootfs: string) => Promise<void>,
    options: { layerOnlyIfChanged?: boolean } = {},
  ): Promise<void> {
    const key = stepKey(state.key, ...inputs);
    const signal = this.options.signal;
    if (!this.options.noCache) {
      const hit = await this.cached(key);
      if (hit !== undefined) {
        if (text !== '') {
          this.emit(stage.index, text, true);
          this.stepsCached++;
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
    if (text !== '') this.emit(stage.index, text, false);
    const id = `build-${randomBytes(8).toString('hex')}`;
    let layered = true;
    const snapshots = this.store.snapshots;
    try {
      const rootfs = await snapshots.createRootfs(id, state.image?.chainIds ?? [], signal ? { signal } : {});
      if (state.workdirToMake !== undefined) await makeDirInRoot(rootfs.path, state.workdirToMake);
      delete state.workdirToMake;
      await work(rootfs.path);
      // Unmounted first: the upper directory is then only ours, to read and to move.
      await new Mounter(snapshots.helper).unmount(rootfs.path);
      const upper = join(dirname(rootfs.path), 'upper');
      const builder = this.store.builder({ ...(state.image ? { from: state.image.id } : {}), platform: this.platform });
      const config = state.config;
      layered = !options.layerOnlyIfChanged || (await readdir(upper)).length > 0;
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
    if (layered) this.stepsRun++;
    state.pending = [];
    state.key = key;
    await this.cache.set(key, state.image.id);
  }

  /** The end of a stage whose last instructions changed only the config: one more image, no layer. */
  private async commitConfig(state: StageState): Promise<void> {
    if (!this.options.noCache) {
      const hit = await this.cached(state.key);
      if (hit !== undefined) {
        state.image = hit;
        state.pending = [];
        return;
      }
    }
    const builder = this.store.builder({ ...(state.image ? { from: state.image.id } : {}), platform: this.platform });
    const config = state.config;
    builder.editConfig((c) => replaceConfig(c, config));
    state.image = await builder.commit(undefined, { history: state.pending, ...(this.options.signal ? { signal: this.options.signal } : {}) });
    state.pending = [];
    await this.cache.set(state.key, state.image.id);
  }

  private async cached(key: string): Promise<ImageRecord | undefined> {
    const id = this.cache.get(key);
    const image = id === undefined ? undefined : this.store.get(id);
    if (image === undefined) return undefined;
    for (const c of image.chainIds) if (!(await this.store.snapshots.has(c))) return undefined;
    return image;
  }
}

function replaceConfig(target: ImageExecConfig, source: ImageExecConfig): void {
  for (const k of Object.keys(target) as (keyof ImageExecConfig)[]) delete target[k];
  Object.assign(target, structuredClone(source));
}

