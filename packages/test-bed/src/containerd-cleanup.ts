// Tears down a test-bed containerd instance from its directory alone, without
// CRI calls: it works after a clean stop, a crash, or a test process that died.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { findCgroups, removeCgroupTree } from './cgroups.js';
import { run } from './exec.js';
import { deleteInterfaces, removeIptablesRules, terminate, unmountUnder } from './host-cleanup.js';
import { listInterfaces, listProcesses, withDescendants, type ProcessInfo } from './host-scan.js';
import { TEST_BED_PREFIX } from './instance-id.js';

const TASK_DIRS = ['io.containerd.runtime.v2.task', 'io.containerd.runtime.v1.linux'];
const CNI_CACHE = '/var/lib/cni/results';

async function listDirs(path: string): Promise<string[]> {
  return (await readdir(path, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(path, e.name));
}

async function readSubnet(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'cni', '10-test-bed.conflist'), 'utf8').catch(() => undefined);
  const match = text?.match(/"subnet":\s*"([\d.]+)\/24"/);
  return match?.[1];
}

/**
 * Stops and removes everything a containerd instance in `dir` (made by
 * startContainerd) left: containerd, shims and container processes, runc
 * containers, shim sockets, mounts (overlay rootfs, netns, shm), the bridge and
 * veths, iptables rules, libcni cache entries, cgroups, and the dir itself.
 */
export async function removeContainerdInstance(dir: string): Promise<void> {
  const id = basename(dir).split('-')[0] ?? '';
  const state = join(dir, 's');
  const bridge = id;
  const subnet = await readSubnet(dir);
  const ours = (p: ProcessInfo): boolean => p.cmdline.includes(dir);

  // containerd first, so it restarts nothing; shims run on detached and are found by the socket they serve.
  let all = await listProcesses();
  await terminate(all.filter((p) => ours(p) && /(^|\/)containerd /.test(p.cmdline)).map((p) => p.pid), 5_000);

  // Containers through runc's own state.
  for (const nsRoot of await listDirs(join(state, 'runc'))) {
    const list = await run('runc', ['--root', nsRoot, 'list', '-q'], { allowFailure: true, timeoutMs: 10_000 });
    for (const cid of list.stdout.split('\n').filter(Boolean)) {
      await run('runc', ['--root', nsRoot, 'kill', '--all', cid, 'KILL'], { allowFailure: true, timeoutMs: 10_000 });
      await run('runc', ['--root', nsRoot, 'delete', '--force', cid], { allowFailure: true, timeoutMs: 10_000 });
    }
  }
  all = await listProcesses();
  const stray = withDescendants(all, all.filter(ours));
  await terminate(stray.map((p) => p.pid), 500);

  // Shim sockets live outside our dir (/run/containerd/s); each task dir records its address.
  for (const kind of TASK_DIRS) {
    for (const ns of await listDirs(join(state, kind))) {
      for (const task of await listDirs(ns)) {
        const address = await readFile(join(task, 'address'), 'utf8').catch(() => '');
        const path = address.trim().replace(/^unix:\/\//, '');
        if (path.startsWith('/run/containerd/s/')) await rm(path, { force: true });
      }
    }
  }

  await unmountUnder([dir]);

  // Veths normally vanish with their netns; delete any still on our bridge, then the bridge.
  const links = await listInterfaces();
  await deleteInterfaces([...links.filter((l) => l.master === bridge).map((l) => l.name), ...links.filter((l) => l.name === bridge).map((l) => l.name)]);
  // Rules naming our network or bridge (portmap's comments), or addresses of our subnet.
  const idRe = new RegExp(`(^|[^\\w])${id}([^\\w]|$)`);
  const subnetPrefix = subnet?.replace(/0$/, '');
  await removeIptablesRules(({ rule }) => idRe.test(rule) || (subnetPrefix !== undefined && rule.includes(` ${subnetPrefix}`)));

  // libcni caches results by network name: ours, and containerd's loopback network per sandbox.
  const sandboxes = await readdir(join(state, 'io.containerd.grpc.v1.cri', 'sandboxes')).catch(() => [] as string[]);
  for (const name of await readdir(CNI_CACHE).catch(() => [] as string[])) {
    if (name.startsWith(`${id}-`) || sandboxes.some((sb) => name === `cni-loopback-${sb}-lo`)) await rm(join(CNI_CACHE, name), { force: true });
  }
  for (const cgroup of await findCgroups(id)) await removeCgroupTree(cgroup);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Removes test-bed instances whose owner is gone: a containerd or registry
 * reparented to init, or an instance dir with no daemon that is older than
 * `minAgeMs` (default 10 minutes). Returns the dirs it removed. `id` limits the
 * sweep to one instance.
 */
export async function sweepOrphans(options: { minAgeMs?: number; id?: string } = {}): Promise<string[]> {
  const minAgeMs = options.minAgeMs ?? 10 * 60_000;
  const re = new RegExp(`^${options.id ?? `${TEST_BED_PREFIX}[0-9a-f]{6}`}-(ctrd|registry|images)-`);
  const processes = await listProcesses();
  const removed: string[] = [];
  for (const name of await readdir('/tmp').catch(() => [] as string[])) {
    const kind = re.exec(name)?.[1];
    if (!kind) continue;
    const dir = join('/tmp', name);
    const daemons = processes.filter((p) => p.cmdline.includes(`${dir}/config.`) && !p.cmdline.includes('containerd-shim'));
    const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now());
    const orphaned = daemons.length > 0 ? daemons.every((p) => p.ppid === 1) : age > minAgeMs;
    if (!orphaned) continue;
    if (kind === 'ctrd') await removeContainerdInstance(dir);
    else {
      await terminate(daemons.map((p) => p.pid), 2_000);
      await rm(dir, { recursive: true, force: true });
    }
    removed.push(dir);
  }
  return removed;
}
