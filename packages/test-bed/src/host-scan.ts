// Read-only views of host state (processes, mounts, interfaces, iptables) that
// cleanup and leftovers() filter by a test-bed instance's marker.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { run } from './exec.js';

/** A process seen in /proc. */
export interface ProcessInfo {
  pid: number;
  /** Parent process id. */
  ppid: number;
  /** argv joined with spaces. */
  cmdline: string;
  /** Target of /proc/PID/root (a container's rootfs path, for container processes). */
  root: string;
}

/** Every process on the host except this one. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (raw === '') continue; // kernel thread or zombie
      const root = await readlink(`/proc/${pid}/root`).catch(() => '');
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid, ppid, cmdline: raw.replace(/\0+$/, '').split('\0').join(' '), root });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `roots` and every process descending from one of them. */
export function withDescendants(all: readonly ProcessInfo[], roots: readonly ProcessInfo[]): ProcessInfo[] {
  const chosen = new Map(roots.map((p) => [p.pid, p]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!chosen.has(p.pid) && chosen.has(p.ppid)) {
        chosen.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...chosen.values()];
}

/** True while `pid` exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of this mount namespace, in mount order. */
export async function listMountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''));
}

/** A network interface and the bridge it is attached to, if any. */
export interface InterfaceInfo {
  name: string;
  master: string | undefined;
}

/** Network interfaces of the host namespace. */
export async function listInterfaces(): Promise<InterfaceInfo[]> {
  const names = await readdir('/sys/class/net').catch(() => [] as string[]);
  return Promise.all(
    names.map(async (name) => {
      const master = await readlink(`/sys/class/net/${name}/master`).catch(() => undefined);
      return { name, master: master?.split('/').pop() };
    }),
  );
}

/** One iptables rule, as `iptables-save` prints it. */
export interface IptablesRule {
  table: string;
  /** e.g. `-A CNI-HOSTPORT-DNAT -m comment ... -j CNI-DN-1234`. */
  rule: string;
}

/** Every iptables rule ("-A ..." lines) with its table; empty when iptables is unavailable. */
export async function listIptablesRules(): Promise<IptablesRule[]> {
  const saved = await run('iptables-save', [], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
  if (!saved || saved.code !== 0) return [];
  const rules: IptablesRule[] = [];
  let table = '';
  for (const line of saved.stdout.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ')) rules.push({ table, rule: line });
  }
  return rules;
}
