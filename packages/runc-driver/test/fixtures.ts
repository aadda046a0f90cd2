import { createBusyboxRootfs, CRUN_CGROUP_V1 } from '@shimkit/test-bed';
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runc, type RuncOptions } from '../src/index.js';

/** Everything one test file needs: a shared rootfs, a runtime root, a cgroup parent, a temp dir. */
export interface TestBed {
  dir: string;
  rootfs: string;
  /** Cgroup parent (relative to each controller mount) for this test file's containers. */
  cgroupParent: string;
  /** A fresh unique container id. */
  id(prefix?: string): string;
  close(): Promise<void>;
}

let seq = 0;

/** Creates the per-file test bed: a busybox rootfs shared read-only by all bundles. */
export async function createTestBed(name: string): Promise<TestBed> {
  const tag = `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = join(tmpdir(), `shimkit-rd-${tag}`);
  await mkdir(dir, { recursive: true });
  const rootfs = join(dir, 'rootfs');
  await createBusyboxRootfs(rootfs);
  const cgroupParent = `shimkit-test-${tag}`;
  return {
    dir,
    rootfs,
    cgroupParent,
    id: (prefix = 't') => `${prefix}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 6)}`,
    close: async () => {
      await removeCgroupParent(cgroupParent);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function removeCgroupParent(parent: string): Promise<void> {
  const controllers = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  await Promise.all(controllers.map((c) => rmdir(join('/sys/fs/cgroup', c, parent)).catch(() => undefined)));
}

let template: Promise<Record<string, unknown>> | undefined;

/** runc's own default spec (`runc spec`), generated once through the driver. */
async function specTemplate(dir: string): Promise<Record<string, unknown>> {
  template ??= (async () => {
    const bundle = join(dir, 'spec-template');
    await mkdir(bundle, { recursive: true });
    const runc = new Runc();
    try {
      const path = await runc.spec({ bundle });
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    } finally {
      await runc.close();
    }
  })();
  return template;
}

/** Options of {@link createBundle}. */
export interface BundleOptions {
  args: string[];
  /** Memory limit in bytes (also caps swap so the OOM killer fires). */
  memoryLimit?: number;
  env?: string[];
}

/** Writes a bundle (config.json only; root.path points at the shared rootfs). Returns its dir. */
export async function createBundle(bed: TestBed, id: string, options: BundleOptions): Promise<string> {
  const spec = structuredClone(await specTemplate(bed.dir)) as {
    process: { terminal: boolean; args: string[]; env: string[] };
    root: { path: string; readonly: boolean };
    linux: { cgroupsPath?: string; resources?: Record<string, unknown> };
  };
  spec.process.terminal = false;
  spec.process.args = options.args;
  if (options.env) spec.process.env.push(...options.env);
  spec.root = { path: bed.rootfs, readonly: true };
  spec.linux.cgroupsPath = `/${bed.cgroupParent}/${id}`;
  if (options.memoryLimit !== undefined) {
    spec.linux.resources = { ...spec.linux.resources, memory: { limit: options.memoryLimit, swap: options.memoryLimit } };
  }
  const bundle = join(bed.dir, 'bundles', id);
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 1));
  return bundle;
}

/** Runtimes the conformance suite runs against. */
export type RuntimeName = 'runc' | 'crun';

/** A Runc instance for `runtime`, with a private `--root` under the bed. */
export async function createRuntime(bed: TestBed, runtime: RuntimeName, extra: RuncOptions = {}): Promise<Runc> {
  const root = join('/run', `shimkit-test-${runtime}-${process.pid}-${bed.cgroupParent.slice(-6)}`);
  // crun needs a mount namespace without this host's cgroup2 mount (see test-bed's bin/crun-cgroup-v1).
  const binary = runtime === 'runc' ? 'runc' : CRUN_CGROUP_V1;
  return new Runc({ binary, root, tmpDir: bed.dir, ...extra });
}

/** Deletes every container under the runtime's root and removes the root. */
export async function cleanupRuntime(runc: Runc): Promise<void> {
  const containers = await runc.list().catch(() => []);
  await Promise.all(containers.map((c) => runc.delete(c.id, { force: true }).catch(() => undefined)));
  if (runc.root) await rm(runc.root, { recursive: true, force: true });
  await runc.close();
}

/** Polls `check` every 20 ms until it returns a value, at most `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
