import { execFile } from 'node:child_process';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, vi } from 'vitest';

const run = promisify(execFile);

/** Where a test file's wasm shim lives on the host: its dir, bridge, cgroup parent and process. */
export interface ShimHost {
  dir: string;
  bridge: string;
  cgroupParent: string;
  /** The shim's own pid (not a leftover while it runs). */
  shimPid?: number | undefined;
}

/** What a shim's tests can leave on the host. */
export interface ShimLeftovers {
  containers: string[];
  processes: string[];
  pids: number[];
  mounts: string[];
  cgroups: string[];
}

/**
 * runc containers, processes of the test's dir (runners, conmons) and warm runners (no
 * container yet: only their program in the command line), mounts and container cgroups still there.
 */
export async function shimLeftovers(host: ShimHost): Promise<ShimLeftovers> {
  const { dir, cgroupParent } = host;
  const list = await run('runc', ['--root', join(dir, 'state', 'runtime', 'runc'), 'list', '-q']).catch(() => ({ stdout: '' }));
  const processes: string[] = [];
  const pids: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === host.shimPid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const warmRunner = cmdline.includes('wasm-runner') && !cmdline.includes('.json');
    if (cmdline.includes(dir) || warmRunner) {
      processes.push(cmdline.split('\0').join(' '));
      pids.push(Number(pid));
    }
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
  const cgroups: string[] = [];
  for (const controller of ['cpu', 'cpuacct', 'memory', 'pids']) {
    const parent = join('/sys/fs/cgroup', controller, cgroupParent);
    for (const c of await readdir(parent, { withFileTypes: true }).catch(() => [])) if (c.isDirectory()) cgroups.push(join(parent, c.name));
  }
  return { containers: list.stdout.split('\n').filter(Boolean), processes, pids, mounts, cgroups };
}

/**
 * After the shim stopped: waits a little for warm runners to end (one ends once it reads its
 * closed pipe, one still booting a little later), then removes whatever is left (mounts,
 * processes, runc containers, the bridge, the cgroup parent, the dir) and returns what was.
 */
export async function sweepShimHost(host: ShimHost): Promise<ShimLeftovers> {
  const { dir } = host;
  await vi.waitFor(async () => expect((await shimLeftovers(host)).processes).toEqual([]), { timeout: 5000, interval: 100 }).catch(() => undefined);
  const left = await shimLeftovers(host);
  for (const m of [...left.mounts].reverse()) await run('umount', ['-l', m]).catch(() => undefined);
  for (const p of left.pids) await run('kill', ['-9', String(p)]).catch(() => undefined);
  for (const id of left.containers) await run('runc', ['--root', join(dir, 'state', 'runtime', 'runc'), 'delete', '--force', id]).catch(() => undefined);
  await run('ip', ['link', 'del', host.bridge]).catch(() => undefined);
  for (const controller of await readdir('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', controller, host.cgroupParent)).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  return left;
}
