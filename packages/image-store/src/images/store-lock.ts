import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../content/atomic-write.js';
import { ImageStoreError } from '../errors.js';

const LOCK = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a store root for this process (a pid file), so two stores never
 * write one root's metadata at once. A lock left by a process that is gone is
 * taken over. Returns the release function.
 */
export async function lockStore(root: string): Promise<() => Promise<void>> {
  const path = join(root, LOCK);
  const mine = String(process.pid);
  try {
    const fh = await open(path, 'wx', 0o644);
    await fh.writeFile(mine);
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ImageStoreError('STORE_IO', `cannot lock ${root}: ${(e as Error).message}`, { cause: e });
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      const who = holder === process.pid ? 'another ImageStore in this process' : `process ${holder}`;
      throw new ImageStoreError('IN_USE', `image store ${root} is in use by ${who}`);
    }
    await writeFileAtomic(path, mine);
  }
  return async () => {
    const holder = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (holder === mine) await rm(path, { force: true });
  };
}
