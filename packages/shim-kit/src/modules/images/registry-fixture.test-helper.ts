import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type Registry } from '@shimkit/test-bed';
import { pushTestImages, type TestImages } from '@shimkit/test-images';

/** A local docker-registry with the test-bed's busybox and pause images pushed. */
export interface RegistryFixture {
  registry: Registry;
  images: TestImages;
  close(): Promise<void>;
}

/** Starts a registry (optionally requiring basic auth) and pushes the test images into it. */
export async function startRegistryFixture(options: { auth?: { username: string; password: string } } = {}): Promise<RegistryFixture> {
  const registry = await startRegistry(options.auth === undefined ? {} : { auth: options.auth });
  try {
    const images = await pushTestImages(registry);
    return { registry, images, close: () => registry.close() };
  } catch (e) {
    await registry.close();
    throw e;
  }
}

/** A fresh temp directory for one store; remove it with `rm` after releasing its rootfs mounts. */
export function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), `shimkit-images-${process.pid}-`));
}

/** Mount points under `dir` (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').map((line) => line.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`));
}

/** Removes a temp root, refusing when something is still mounted below it. */
export async function removeRoot(dir: string): Promise<void> {
  const mounts = await mountsUnder(dir);
  if (mounts.length > 0) throw new Error(`still mounted under ${dir}: ${mounts.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/** The error `work` rejects with; throws when it resolves instead. */
export async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}
