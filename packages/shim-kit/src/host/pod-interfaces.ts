import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import { readNetDev, type InterfaceCounters } from './net-dev.js';
import { processesInNetns } from './netns-processes.js';

/**
 * The network interfaces (not `lo`) of each ready pod with a network namespace, by sandbox id,
 * read from /proc/<pid>/net/dev of a process in the namespace (one pass over /proc for all of
 * them). A host-network pod, a stopped one, or one with no process in its namespace is left out.
 */
export async function podInterfaces(sandboxes: readonly SandboxRecord[]): Promise<Map<string, InterfaceCounters[]>> {
  const networked = sandboxes.filter((s) => s.state === 'ready' && s.netnsPath !== undefined && !s.networkTornDown);
  const out = new Map<string, InterfaceCounters[]>();
  if (networked.length === 0) return out;
  const hints = new Map(networked.flatMap((s) => (s.info.pid === undefined || s.netnsPath === undefined ? [] : [[s.netnsPath, s.info.pid] as const])));
  const pids = await processesInNetns(networked.map((s) => s.netnsPath ?? ''), hints);
  await Promise.all(networked.map(async (s) => {
    const pid = pids.get(s.netnsPath ?? '');
    const interfaces = pid === undefined ? undefined : await readNetDev(pid);
    if (interfaces !== undefined) out.set(s.id, interfaces);
  }));
  return out;
}
