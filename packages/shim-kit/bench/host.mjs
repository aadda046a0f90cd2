// Host inspection and forceful cleanup for the benchmark's own shim instance: what the
// test bed's leftovers()/close() do for containerd, for a dir, bridge and cgroup of ours.
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listIptablesRules, removeIptablesRules } from '@shimkit/test-bed';

const exec = promisify(execFile);

/** Runs a command with a time limit; never throws, gives { ok, stdout }. */
export async function sh(file, args, timeoutMs = 20_000) {
  try {
    const { stdout } = await exec(file, args, { timeout: timeoutMs, maxBuffer: 1 << 24 });
    return { ok: true, stdout };
  } catch (e) {
    return { ok: false, stdout: String(e.stdout ?? ''), error: e };
  }
}

/** Every process as { pid, ppid, cmdline }. */
export async function processes() {
  const out = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Processes whose command line names `text`, with all their descendants. */
export async function processesNaming(text) {
  const all = await processes();
  const found = new Map(all.filter((p) => p.cmdline.includes(text)).map((p) => [p.pid, p]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (found.has(p.pid) || !found.has(p.ppid)) continue;
      found.set(p.pid, p);
      grew = true;
    }
  }
  return [...found.values()];
}

/** Resident set size of a process in KiB (0 when it is gone). */
export async function rssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/**
 * RSS in KiB of a daemon with its own helper children (shimkit's host helper), leaving out the
 * per-pod monitors (`isMonitor`), and how many processes that is.
 */
export async function daemonRss(pid, isMonitor = () => false) {
  let kiB = await rssKiB(pid);
  const own = (await processes()).filter((p) => p.ppid === pid && !isMonitor(p));
  for (const p of own) kiB += await rssKiB(p.pid);
  return { kiB, procs: 1 + own.length };
}

/** Issue 12: the shim with its helpers idle at most this many MiB of RSS in all. */
export const IDLE_RSS_TARGET_MIB = 60;

/** The line every bench prints: the idle RSS in all of shimkit beside containerd's, against the target. */
export function idleRssLine(label, shim, containerd) {
  const mib = (r) => `${(r.kiB / 1024).toFixed(1)} MiB (${r.procs} proc${r.procs > 1 ? 's' : ''})`;
  const verdict = shim.kiB / 1024 <= IDLE_RSS_TARGET_MIB ? 'met' : 'not met';
  return `idle RSS in all, ${label}: shimkit ${mib(shim)}, containerd ${mib(containerd)}; target for shimkit ${IDLE_RSS_TARGET_MIB} MiB: ${verdict}`;
}

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir) {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Links named `bridge` or enslaved to it. */
export async function linksOf(bridge) {
  const names = await readdir('/sys/class/net').catch(() => []);
  const out = [];
  for (const n of names) {
    if (n === bridge) out.push(n);
    else if ((await readFile(`/sys/class/net/${n}/master/uevent`, 'utf8').catch(() => '')).includes(`INTERFACE=${bridge}\n`)) out.push(n);
  }
  return out;
}

/** iptables rules (table: rule) that mention any of `words`. */
export async function iptablesRules(words) {
  return (await listIptablesRules()).filter((r) => words.some((w) => r.rule.includes(w)));
}

/** cgroup dirs named `name` directly under each hierarchy. */
export async function cgroupsNamed(name) {
  const found = [];
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [])) {
    const dir = join('/sys/fs/cgroup', h, name);
    if (await readdir(dir).then(() => true, () => false)) found.push(dir);
  }
  return found;
}

async function removeCgroupTree(dir) {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  await rmdir(dir).catch(() => undefined);
}

const exists = (path) => readdir(path).then(() => true, () => false);

// `runc list` creates a missing root dir, so ask only when it exists.
async function runcContainers(runcRoot) {
  if (!(await exists(runcRoot))) return [];
  return (await sh('runc', ['--root', runcRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
}

async function childCgroups(dir) {
  return (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/**
 * What a shim instance (dir, runc root, bridge, subnet prefix, cgroup name) still holds.
 * `final`: also its dir, bridge and cgroup parent, which a shim keeps by design (CNI never
 * deletes bridges; runc leaves the parent cgroup), and the benchmark removes at the end.
 */
export async function shimLeftovers({ dir, runcRoot, bridge, words, cgroup }, final) {
  const cgroups = [];
  for (const parent of await cgroupsNamed(cgroup)) cgroups.push(...(final ? [parent] : await childCgroups(parent)));
  const links = await linksOf(bridge);
  return {
    processes: (await processesNaming(dir)).map((p) => `${p.pid} ${p.cmdline}`),
    containers: await runcContainers(runcRoot),
    mounts: await mountsUnder(dir),
    interfaces: final ? links : links.filter((l) => l !== bridge),
    iptables: (await iptablesRules(words)).map((r) => `${r.table}: ${r.rule}`),
    cgroups,
    files: final && (await exists(dir)) ? [dir] : [],
  };
}

/** True when nothing is left. */
export const clean = (left) => Object.values(left).every((v) => v.length === 0);

/** Removes everything a shim instance may hold, whatever state it is in. */
export async function forceCleanShim({ dir, runcRoot, bridge, words, cgroup }) {
  for (const id of await runcContainers(runcRoot)) await sh('runc', ['--root', runcRoot, 'delete', '--force', id]);
  for (const p of await processesNaming(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const m of await mountsUnder(dir)) await sh('umount', ['-l', m]);
  for (const link of (await linksOf(bridge)).reverse()) await sh('ip', ['link', 'del', link]);
  await removeIptablesRules((r) => words.some((w) => r.rule.includes(w)));
  for (const c of await cgroupsNamed(cgroup)) await removeCgroupTree(c);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
