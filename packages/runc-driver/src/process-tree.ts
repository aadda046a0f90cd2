import { readFile, readdir } from 'node:fs/promises';

/** Parent pid of `pid` from /proc/<pid>/stat, undefined when the process is gone. */
async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: parse after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** `root` and all its live descendants (host pids), from one scan of /proc. */
export async function processTree(root: number): Promise<number[]> {
  const names = await readdir('/proc');
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
  const parents = await Promise.all(pids.map(async (pid) => [pid, await parentOf(pid)] as const));
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = parents.some(([pid, ppid]) => pid === root && ppid !== undefined) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * SIGKILLs `root` and its descendants, rescanning until none is left (bounded). Descendants
 * that were re-parented away (daemonized) are out of reach.
 */
export async function killProcessTree(root: number, maxRounds = 20): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    const tree = await processTree(root);
    if (tree.length === 0) return;
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
