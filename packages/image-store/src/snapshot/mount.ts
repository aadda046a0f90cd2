import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';

function run(file: string, args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000, signal }, (err, _out, stderr) => {
      if (err) reject(new ImageStoreError('STORE_IO', `${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

/** Mounts an overlay at `target`; `lowerDirs` topmost first. */
export async function mountOverlay(target: string, options: { lowerDirs: string[]; upperDir: string; workDir: string; signal?: AbortSignal }): Promise<void> {
  const data = `lowerdir=${options.lowerDirs.join(':')},upperdir=${options.upperDir},workdir=${options.workDir}`;
  // The kernel takes mount options in one page.
  if (data.length > 4000) throw new ImageStoreError('STORE_IO', `overlay mount options for ${target} exceed one page (${options.lowerDirs.length} layers)`);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', data, target], options.signal);
}

/** Unmounts `target`; falls back to a lazy unmount when it is busy. */
export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', [target]);
  } catch (e) {
    if (/not mounted|no mount point|not found/i.test((e as Error).message)) return;
    await run('umount', ['-l', target]);
  }
}

/** True when this process can mount overlayfs (root, kernel support) with a directory under `base`. */
export async function overlaySupported(base: string): Promise<boolean> {
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, '.overlay-probe-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
    await mountOverlay(join(dir, 'merged'), { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') });
    await unmount(join(dir, 'merged'));
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
