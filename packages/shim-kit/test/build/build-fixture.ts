import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ImageStore } from '@shimkit/image-store';
import type { BuildImageOptions, BuildResult } from '@shimkit/image-store';
import { buildImage } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { RuncStepRunner } from '../../src/build/runc-step-runner.js';

/** A registry with the busybox test image, a store, a runc step runner, and a temp dir; all undone by close(). */
export interface BuildFixture {
  registry: Registry;
  images: TestImages;
  dir: string;
  store: ImageStore;
  runner: RuncStepRunner;
  /** Writes files (path -> content) into a fresh context dir and returns it. */
  context(files: Record<string, string>): Promise<string>;
  build(context: string, options?: Omit<BuildImageOptions, 'context' | 'runner'>): Promise<BuildResult>;
  close(): Promise<void>;
}

export async function buildFixture(name: string): Promise<BuildFixture> {
  const registry = await startRegistry();
  const images = await pushTestImages({ host: registry.host });
  const dir = await mkdtemp(join(tmpdir(), `shimkit-${name}-`));
  const store = await ImageStore.open({ root: join(dir, 'store'), keepLayerBlobs: true });
  const runner = new RuncStepRunner({ runtimeRoot: join(dir, 'runc'), tmpDir: join(dir, 'tmp'), helper: store.snapshots.helper });
  let contexts = 0;
  return {
    registry,
    images,
    dir,
    store,
    runner,
    async context(files) {
      const ctx = join(dir, `context-${++contexts}`);
      await mkdir(ctx, { recursive: true });
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(ctx, path)), { recursive: true });
        await writeFile(join(ctx, path), content);
      }
      return ctx;
    },
    build: (context, options = {}) => buildImage(store, { context, runner, ...options }),
    async close() {
      await runner.close();
      await store.close();
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Names of rootfs dirs left in a store (a finished build leaves none). */
export async function leftoverRootfs(store: ImageStore): Promise<string[]> {
  return readdir(join(store.root, 'containers'));
}
