import { readdir } from 'node:fs/promises';
import { findCgroups } from './cgroups.js';
import { TEST_BED_PREFIX } from './instance-id.js';
import { listInterfaces, listIptablesRules, listMountPoints, listProcesses, withDescendants, type ProcessInfo } from './host-scan.js';

/** What a test-bed instance (or all of them) still has on the host. */
export interface Leftovers {
  /** Processes naming an instance dir in argv, and their descendants (container processes under a shim). */
  processes: ProcessInfo[];
  /** Mount points inside an instance dir (rootfs overlays, netns, shm). */
  mounts: string[];
  /** Network namespace files inside an instance dir or /run/netns named after it. */
  netns: string[];
  /** The instance's bridge and interfaces attached to it. */
  interfaces: string[];
  /** iptables rules naming the instance's network or bridge. */
  iptables: string[];
  /** /tmp dirs of the instance and libcni cache files of its network. */
  files: string[];
  /** cgroups named after the instance. */
  cgroups: string[];
}

/** True when nothing is left. */
export function isClean(l: Leftovers): boolean {
  return Object.values(l).every((v: unknown[]) => v.length === 0);
}

/** Snapshot of host state belonging to test-bed instance `id`, or to any instance when omitted. */
export async function leftovers(id?: string): Promise<Leftovers> {
  const idPattern = id ?? `${TEST_BED_PREFIX}[0-9a-f]{6}`;
  const dirRe = new RegExp(`/tmp/${idPattern}-`);
  const nameRe = new RegExp(`^${idPattern}$`);
  const wordRe = new RegExp(`(^|[^\\w])${idPattern}([^\\w]|$)`);

  const all = await listProcesses();
  // Container processes name nothing of ours; they descend from a shim that does.
  const processes = withDescendants(all, all.filter((p) => dirRe.test(p.cmdline) || dirRe.test(p.root)));
  const mounts = (await listMountPoints()).filter((m) => dirRe.test(m));
  const netnsInRun = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => wordRe.test(n)).map((n) => `/run/netns/${n}`);
  const netns = [...new Set([...mounts.filter((m) => /\/netns\//.test(m)), ...netnsInRun])];
  const links = await listInterfaces();
  const bridges = links.filter((l) => nameRe.test(l.name)).map((l) => l.name);
  const interfaces = [...bridges, ...links.filter((l) => l.master !== undefined && nameRe.test(l.master)).map((l) => l.name)];
  const iptables = (await listIptablesRules()).filter((r) => wordRe.test(r.rule)).map((r) => `${r.table}: ${r.rule}`);
  const tmp = (await readdir('/tmp').catch(() => [] as string[])).filter((n) => dirRe.test(`/tmp/${n}`)).map((n) => `/tmp/${n}`);
  const cache = (await readdir('/var/lib/cni/results').catch(() => [] as string[]))
    .filter((n) => new RegExp(`^${idPattern}-`).test(n))
    .map((n) => `/var/lib/cni/results/${n}`);
  const cgroups = id ? await findCgroups(id) : [];
  return { processes, mounts, netns, interfaces, iptables, files: [...tmp, ...cache], cgroups };
}
