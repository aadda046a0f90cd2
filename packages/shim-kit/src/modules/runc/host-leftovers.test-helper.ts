import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { Mounter } from '@shimkit/image-store';
import { unmountUnder } from './sandbox-pins.js';

/** What test beds that run real containers share: finding and sweeping what a test left on the host. */

/** Ids of the containers runc has under its state root `root`. */
export function runcContainerIds(root: string): string[] {
  try {
    return ((JSON.parse(execFileSync('runc', ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' }) || 'null') as { id: string }[] | null) ?? []).map((c) => c.id);
  } catch {
    return [];
  }
}

/** Pids of the conmon processes whose command line names `dir`. */
export function conmonPidsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if ((cmdline.startsWith('conmon\0') || cmdline.includes('/conmon\0')) && cmdline.includes(dir)) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Sweeps a test bed's host state after its own close: the containers of the runc `roots`, the
 * conmons naming `dir`, the mounts under `dir`, the cgroups under `cgroupParent` (what still
 * runs in them killed first), then `dir` itself.
 */
export async function sweepTestHost(dir: string, options: { roots: readonly string[]; cgroupParent: string }): Promise<void> {
  for (const root of options.roots) {
    for (const id of runcContainerIds(root)) {
      try {
        execFileSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
  for (const pid of conmonPidsUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const helper = new HostHelper();
  await unmountUnder(dir, new Mounter(helper)).catch(() => undefined);
  await helper.close();
  await removeCgroups(options.cgroupParent);
  await rm(dir, { recursive: true, force: true });
}

/** Kills what still runs in the test cgroups (a failed test's containers) and removes them. */
async function removeCgroups(parent: string): Promise<void> {
  const controllers = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  const dirsOf = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const children = entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
    return [...(await Promise.all(children.map(dirsOf))).flat(), dir];
  };
  for (const dir of await dirsOf(join('/sys/fs/cgroup', 'pids', parent))) {
    for (const pid of (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  for (const controller of controllers) {
    for (const dir of await dirsOf(join('/sys/fs/cgroup', controller, parent))) await rmdir(dir).catch(() => undefined);
  }
}
