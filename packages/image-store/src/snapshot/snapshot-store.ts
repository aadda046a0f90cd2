import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import type { Digest } from '@shimkit/oci-spec';
import { digestHex, tryParseDigest } from '@shimkit/oci-spec';
import { leftByDeadProcess } from '../process-start.js';
import { writeFileAtomic, writeNewFile } from '../content/atomic-write.js';
import { ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import { measureUsage, type FsUsage } from '../images/fs-usage.js';
import { Mounter, overlaySupported } from './mount.js';

/** How layers are stacked into a container rootfs. */
export type SnapshotterKind =
  /** Each snapshot holds one layer's diff (overlay whiteouts); a rootfs is an overlay mount. */
  | 'overlay'
  /** Each snapshot holds the whole merged tree; a rootfs is a copy of the top one. */
  | 'copy';

/** What a snapshot's filler gets: its directory, and (overlay) the lower layers' directories once they exist. */
export interface SnapshotFillContext {
  dir: string;
  kind: SnapshotterKind;
  /** Overlay: directories of the lower snapshots, topmost first, waiting until they are complete. */
  lowerDirs: () => Promise<string[]>;
  /** The store's host helper, for the device nodes and xattrs of a layer. */
  helper: HostHelper;
  signal?: AbortSignal;
}

/** A container's writable root filesystem. */
export interface Rootfs {
  id: string;
  /** The directory to use as the container's root. */
  path: string;
  /** Chain ids of the image layers under it, base first. */
  chainIds: Digest[];
  kind: SnapshotterKind;
}

/** Options of createRootfs. */
export interface RootfsOptions {
  signal?: AbortSignal;
  /** false: the record is not fsynced (a `run --rm` rootfs, removed when its command ends; default true). */
  durable?: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function copyTree(from: string, to: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('cp', ['-a', '--reflink=auto', '--', from, to], { signal }, (err, _o, stderr) => {
      if (err) reject(new ImageStoreError('STORE_IO', `copying ${from}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Snapshots: one directory per layer chain id under `<root>/snapshots`,
 * created in a temp directory and renamed into place when complete (a crash
 * leaves no half snapshot), plus container rootfs directories under
 * `<root>/containers` that pin the snapshots beneath them.
 */
export class SnapshotStore {
  private readonly creating = new Map<string, Promise<void>>();

  private readonly mounter: Mounter;

  private constructor(
    readonly root: string,
    readonly kind: SnapshotterKind,
    /** Makes the mounts, device nodes and xattrs. */
    private readonly helperLease: HelperLease,
  ) {
    this.mounter = new Mounter(helperLease.helper);
  }

  /** The host helper that makes the mounts, device nodes and xattrs. */
  get helper(): HostHelper {
    return this.helperLease.helper;
  }

  /**
   * Opens (creating when missing) the snapshots under `root`. `helper` is shared and left open
   * by close(); without one the store makes its own and ends it in close().
   */
  static async open(root: string, options: { kind?: SnapshotterKind | 'auto'; helper?: HostHelper; signal?: AbortSignal } = {}): Promise<SnapshotStore> {
    throwIfAborted(options.signal);
    await mkdir(join(root, 'snapshots'), { recursive: true });
    await mkdir(join(root, 'containers'), { recursive: true });
    await clearTemps(root);
    // Snapshots of the two kinds hold different things, so a store keeps the kind it started with.
    const kindFile = join(root, 'snapshots', '.kind');
    const recorded = (await readFile(kindFile, 'utf8').catch(() => undefined))?.trim() as SnapshotterKind | undefined;
    let kind = options.kind ?? 'auto';
    if (recorded !== undefined && kind !== 'auto' && kind !== recorded) {
      throw new ImageStoreError('INVALID_ARGUMENT', `${root} holds ${recorded} snapshots; it cannot be opened as ${kind}`);
    }
    const lease = leaseHelper(options.helper);
    try {
      if (kind === 'auto') kind = recorded ?? ((await overlaySupported(join(root, 'snapshots'), new Mounter(lease.helper))) ? 'overlay' : 'copy');
      if (recorded === undefined) await writeFileAtomic(kindFile, kind);
    } catch (e) {
      await lease.release();
      throw e;
    }
    return new SnapshotStore(root, kind, lease);
  }

  private snapshotDir(chainId: Digest): string {
    return join(this.root, 'snapshots', digestHex(chainId));
  }

  /** The filesystem directory of a committed snapshot. */
  path(chainId: Digest): string {
    return join(this.snapshotDir(chainId), 'fs');
  }

  async has(chainId: Digest, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    return exists(this.path(chainId));
  }

  /** Chain ids of every committed snapshot. */
  async list(options: { signal?: AbortSignal } = {}): Promise<Digest[]> {
    throwIfAborted(options.signal);
    const out: Digest[] = [];
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      const id = tryParseDigest(`sha256:${name}`);
      if (id !== undefined) out.push(id);
    }
    return out;
  }

  /**
   * Creates the snapshot for `chain[chain.length - 1]` (chain is base first) by
   * running `fill`, unless it exists. Concurrent creations of one snapshot are
   * shared. In copy mode the parent snapshot must exist and is copied first.
   */
  async create(chain: readonly Digest[], fill: (ctx: SnapshotFillContext) => Promise<void>, options: { signal?: AbortSignal; lowerReady?: () => Promise<void> } = {}): Promise<void> {
    const chainId = chain[chain.length - 1];
    if (chainId === undefined) throw new ImageStoreError('INVALID_ARGUMENT', 'empty layer chain');
    if (await this.has(chainId)) return;
    const running = this.creating.get(chainId);
    if (running !== undefined) return running;
    const job = this.build(chain, fill, options).finally(() => this.creating.delete(chainId));
    this.creating.set(chainId, job);
    return job;
  }

  private async build(chain: readonly Digest[], fill: (ctx: SnapshotFillContext) => Promise<void>, options: { signal?: AbortSignal; lowerReady?: () => Promise<void> }): Promise<void> {
    const chainId = chain[chain.length - 1]!;
    const tmp = join(this.root, 'snapshots', `.tmp-${process.pid}-${digestHex(chainId).slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp);
    try {
      const dir = join(tmp, 'fs');
      const parent = chain[chain.length - 2];
      if (this.kind === 'copy' && parent !== undefined) {
        if (!(await this.has(parent))) throw new ImageStoreError('NOT_FOUND', `parent snapshot ${parent} of ${chainId} does not exist`);
        await copyTree(this.path(parent), dir, options.signal);
      } else {
        await mkdir(dir, { mode: 0o755 });
      }
      const lowerDirs = async () => {
        await options.lowerReady?.();
        return chain.slice(0, -1).reverse().map((c) => this.path(c));
      };
      await fill({ dir, kind: this.kind, lowerDirs, helper: this.helper, signal: options.signal });
      throwIfAborted(options.signal, `snapshot ${chainId}`);
      try {
        await rename(tmp, this.snapshotDir(chainId));
      } catch (e) {
        // Another process committed it first: theirs is as good as ours.
        if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes a snapshot; refuses with IN_USE while a container rootfs sits on it. */
  async remove(chainId: Digest, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    if ((await this.inUse()).has(chainId)) throw new ImageStoreError('IN_USE', `snapshot ${chainId} is used by a container rootfs`);
    if (!(await exists(this.snapshotDir(chainId)))) return false;
    await rm(this.snapshotDir(chainId), { recursive: true, force: true });
    return true;
  }

  private containerDir(id: string): string {
    if (!ID.test(id)) throw new ImageStoreError('INVALID_ARGUMENT', `invalid rootfs id ${JSON.stringify(id)}`);
    return join(this.root, 'containers', id);
  }

  /**
   * Creates (or, after a reboot, remounts) the writable rootfs `id` on top of
   * the snapshots of `chain` (base first), which must all exist. `durable: false` skips the
   * record's fsync, for a rootfs that does not outlive the process making it.
   */
  async createRootfs(id: string, chain: readonly Digest[], options: RootfsOptions = {}): Promise<Rootfs> {
    const durable = options.durable ?? true;
    const dir = this.containerDir(id);
    const present = await Promise.all(chain.map((c) => this.has(c)));
    const missing = chain.find((_, i) => !present[i]);
    if (missing !== undefined) throw new ImageStoreError('NOT_FOUND', `snapshot ${missing} for rootfs ${id} does not exist`);
    // A directory made just now holds no rootfs and no mount yet.
    const fresh = (await mkdir(dir, { recursive: true })) !== undefined;
    if (!fresh) {
      const existing = await this.getRootfs(id);
      if (existing !== undefined && existing.chainIds.join() !== chain.join()) {
        throw new ImageStoreError('INVALID_ARGUMENT', `rootfs ${id} already exists on other layers`);
      }
    }
    const meta: Omit<Rootfs, 'path'> = { id, chainIds: [...chain], kind: this.kind };
    if (this.kind === 'copy') {
      await writeFileAtomic(join(dir, 'rootfs.json'), JSON.stringify(meta), { durable });
      const path = join(dir, 'rootfs');
      if (!(await exists(path))) {
        const top = chain[chain.length - 1];
        if (top === undefined) await mkdir(path, { mode: 0o755 });
        else await copyTree(this.path(top), path, options.signal);
      }
      return { ...meta, path };
    }
    const path = join(dir, 'merged');
    const mounted = async (): Promise<void> => {
      await Promise.all(['upper', 'work', 'merged', 'empty'].map((d) => mkdir(join(dir, d), { recursive: true })));
      if (!fresh && (await isMountPoint(path))) return;
      const lowerDirs = chain.length === 0 ? [join(dir, 'empty')] : [...chain].reverse().map((c) => this.path(c));
      await this.mounter.mountOverlay(path, { lowerDirs, upperDir: join(dir, 'upper'), workDir: join(dir, 'work'), signal: options.signal });
    };
    // In a fresh directory there is no old record to keep, so no temp file and rename are needed.
    const record = join(dir, 'rootfs.json');
    const saved = fresh ? writeNewFile(record, (fh) => fh.writeFile(JSON.stringify(meta)), { sync: durable }) : writeFileAtomic(record, JSON.stringify(meta), { durable });
    // The record is made durable while the directories are made and mounted; both end before any error is thrown.
    const results = await Promise.allSettled([saved, mounted()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    return { ...meta, path };
  }

  /** A rootfs by id, or undefined. */
  async getRootfs(id: string, options: { signal?: AbortSignal } = {}): Promise<Rootfs | undefined> {
    throwIfAborted(options.signal);
    const dir = this.containerDir(id);
    let meta: Omit<Rootfs, 'path'>;
    try {
      meta = JSON.parse(await readFile(join(dir, 'rootfs.json'), 'utf8')) as Omit<Rootfs, 'path'>;
    } catch {
      return undefined;
    }
    return { ...meta, path: join(dir, meta.kind === 'copy' ? 'rootfs' : 'merged') };
  }

  async listRootfs(options: { signal?: AbortSignal } = {}): Promise<Rootfs[]> {
    throwIfAborted(options.signal);
    const out: Rootfs[] = [];
    for (const id of await readdir(join(this.root, 'containers'))) {
      const r = await this.getRootfs(id).catch(() => undefined);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /**
   * The disk use of what a container wrote: its upper dir (overlay), or its whole private copy
   * (copy snapshotter); undefined when there is no such rootfs.
   */
  async rootfsUsage(id: string, options: { signal?: AbortSignal } = {}): Promise<FsUsage | undefined> {
    const rootfs = await this.getRootfs(id, options);
    if (rootfs === undefined) return undefined;
    return measureUsage(rootfs.kind === 'copy' ? rootfs.path : join(this.containerDir(id), 'upper'), options);
  }

  /** Unmounts and deletes a rootfs (its upper dir too); true when it existed. */
  async removeRootfs(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    const dir = this.containerDir(id);
    if (!(await exists(dir))) return false;
    const merged = join(dir, 'merged');
    if (await isMountPoint(merged)) await this.mounter.unmount(merged);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (e) {
      if (isImageStoreError(e)) throw e;
      throw new ImageStoreError('STORE_IO', `cannot remove rootfs ${id}: ${(e as Error).message}`, { cause: e });
    }
    return true;
  }

  /** Ends the host helper when the store made it (a shared one stays open); rootfs mounts stay. */
  async close(): Promise<void> {
    await this.helperLease.release();
  }

  /** Removes the temp dirs of snapshots whose process died while filling them. */
  async clearTemps(): Promise<void> {
    await clearTemps(this.root);
  }

  /** Chain ids pinned by container rootfs directories. */
  async inUse(options: { signal?: AbortSignal } = {}): Promise<Set<Digest>> {
    throwIfAborted(options.signal);
    const used = new Set<Digest>();
    for (const r of await this.listRootfs()) for (const c of r.chainIds) used.add(c);
    return used;
  }
}

async function clearTemps(root: string): Promise<void> {
  for (const name of await readdir(join(root, 'snapshots'))) {
    // Another process sharing the store may be filling its own right now.
    if (name.startsWith('.tmp-') && leftByDeadProcess(name, /^\.tmp-(\d+)-/)) await rm(join(root, 'snapshots', name), { recursive: true, force: true });
  }
}

/** True when `path` is a mount point (listed in /proc/self/mountinfo). */
export async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  // Field 5 is the mount point, with spaces and such octal-escaped.
  const escaped = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((line) => line.split(' ')[4] === escaped);
}
