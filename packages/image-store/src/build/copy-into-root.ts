import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import { decompress } from '../compression/decompress.js';
import { ImageStoreError } from '../errors.js';
import { applyLayer } from '../layer/apply-layer.js';
import { lstatOrNull } from '../layer/layer-tree.js';
import type { PathKind, RootView } from '../layer/root-resolver.js';
import { resolveInRoot } from '../layer/root-resolver.js';
import type { IgnoreMatcher, SourcePath } from './build-context.js';

export interface CopyIntoRootOptions {
  /** Absolute path in the image. */
  dest: string;
  /** The destination is a directory (it ends with `/`, or there are several sources). */
  destIsDir: boolean;
  /** Owner of what is copied (default 0:0, as COPY does without --chown). */
  owner?: { uid: number; gid: number };
  /** Mode of what is copied (--chmod); default: the source's. */
  mode?: number;
  /** Context paths left out when a directory is copied. */
  ignored?: IgnoreMatcher;
  /** ADD: a local tar archive (plain or gzip/zstd) is unpacked at the destination instead of copied. */
  extractArchives?: boolean;
  helper: HostHelper;
  signal?: AbortSignal;
}

function view(root: string): RootView {
  return {
    cached: () => undefined,
    lookup: async (rel): Promise<PathKind> => {
      const st = await lstatOrNull(join(root, rel));
      if (st === null) return { kind: 'missing' };
      if (st.isDirectory()) return { kind: 'directory' };
      if (st.isSymbolicLink()) return { kind: 'symlink', target: await readlink(join(root, rel)) };
      return { kind: 'other' };
    },
  };
}

/** Makes the directory `path` (and its parents) in a mounted rootfs, 0755 and root's, each resolved inside `root`; nothing when it is one already. */
export async function makeDirInRoot(root: string, path: string): Promise<void> {
  const target = await resolvePath(root, `${path}/.`);
  const there = await lstatOrNull(target);
  if (there?.isDirectory()) return;
  if (there !== null) throw new ImageStoreError('INVALID_ARGUMENT', `${path} is not a directory in the image`);
  await mkdir(target, { mode: 0o755 });
  await chmod(target, 0o755);
}

/** `path` as components below `root` with every parent a real directory (made 0755 when missing), symlinks resolved inside `root`. */
async function resolvePath(root: string, path: string): Promise<string> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved = await resolveInRoot(view(root), parts, {
    makeDir: async (rel) => {
      await mkdir(join(root, rel), { mode: 0o755 });
      await chmod(join(root, rel), 0o755); // whatever the umask
    },
    refuse: (why) => new ImageStoreError('INVALID_ARGUMENT', `destination ${path}: ${why}`),
  });
  return join(root, ...(resolved ?? []));
}

async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    if (bytesRead >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return true;
    return bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

/**
 * Copies build sources into a mounted rootfs as COPY and ADD do: a directory's contents (not
 * the directory itself) go into the destination, a file goes to the destination path or into
 * it when it is a directory. The destination and every path under it are resolved inside the
 * rootfs (a symlink in the image never leads outside it); missing parents are made 0755.
 * Owners are 0:0 unless given, modes the sources' unless given, times kept.
 */
export async function copyIntoRoot(root: string, sources: readonly SourcePath[], options: CopyIntoRootOptions): Promise<void> {
  const owner = options.owner ?? { uid: 0, gid: 0 };
  const ignored = options.ignored ?? (() => false);
  const place = async (target: string, abs: string, rel: string): Promise<void> => {
    if (options.signal?.aborted) throw new ImageStoreError('ABORTED', 'copy aborted', { cause: options.signal.reason });
    const st = await lstat(abs);
    const there = await lstatOrNull(target);
    if (st.isDirectory()) {
      if (there !== null && !there.isDirectory()) await rm(target, { force: true });
      if (there === null || !there.isDirectory()) await mkdir(target, { mode: 0o700 });
      for (const name of (await readdir(abs)).sort()) {
        const childRel = rel === '' ? name : `${rel}/${name}`;
        if (ignored(childRel)) continue;
        await place(join(target, name), join(abs, name), childRel);
      }
    } else {
      if (there?.isDirectory()) throw new ImageStoreError('INVALID_ARGUMENT', `cannot copy ${rel || basename(abs)} over the directory ${target.slice(root.length) || '/'}`);
      if (there !== null) await rm(target, { force: true });
      if (st.isSymbolicLink()) await symlink(await readlink(abs), target);
      else if (st.isFile()) await copyFile(abs, target);
      else return; // devices, fifos and sockets in a context are not copied
    }
    await lchown(target, owner.uid, owner.gid);
    // After chown, which clears set-id bits.
    if (!st.isSymbolicLink()) await chmod(target, options.mode ?? st.mode & 0o7777);
    await lutimes(target, st.atime, st.mtime);
  };

  for (const source of sources) {
    if (source.stats.isDirectory()) {
      const target = await resolvePath(root, options.dest);
      const there = await lstatOrNull(target);
      if (there !== null && !there.isDirectory()) await rm(target, { force: true });
      if (there === null || !there.isDirectory()) {
        await mkdir(target, { mode: 0o755 });
        await lchown(target, owner.uid, owner.gid);
      }
      for (const name of (await readdir(source.abs)).sort()) {
        const childRel = source.rel === '' ? name : `${source.rel}/${name}`;
        if (ignored(childRel)) continue;
        await place(join(target, name), join(source.abs, name), childRel);
      }
      continue;
    }
    if (options.extractArchives && !source.remote && source.stats.isFile() && (await isArchive(source.abs))) {
      const target = await resolvePath(root, `${options.dest}/.`);
      await mkdir(target, { recursive: true, mode: 0o755 });
      await applyLayer(target, decompress(createReadStream(source.abs)), { whiteouts: 'delete', helper: options.helper, signal: options.signal });
      continue;
    }
    let destPath = options.destIsDir ? `${options.dest}/${basename(source.rel || source.abs)}` : options.dest;
    if (!options.destIsDir) {
      const existing = await resolvePath(root, options.dest);
      if ((await lstatOrNull(existing))?.isDirectory()) destPath = `${options.dest}/${basename(source.rel || source.abs)}`;
    }
    await place(await resolvePath(root, destPath), source.abs, source.rel);
  }
}
