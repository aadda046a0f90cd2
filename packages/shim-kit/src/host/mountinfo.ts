import { readFile } from 'node:fs/promises';

/** One line of /proc/self/mountinfo, the parts shimkit reads. */
export interface MountinfoEntry {
  mountPoint: string;
  fsType: string;
  /** The file system's own options (`lowerdir=...,upperdir=...` for an overlay). */
  superOptions: string;
}

/** The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

/** The mounts of this mount namespace, in mount order (a later one stacks over an earlier one at the same point). */
export async function readMountinfo(): Promise<MountinfoEntry[]> {
  const entries: MountinfoEntry[] = [];
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0 || fields[4] === undefined) continue;
    entries.push({ mountPoint: unescape(fields[4]), fsType: fields[dash + 1] ?? '', superOptions: unescape(fields[dash + 3] ?? '') });
  }
  return entries;
}
