// Forceful teardown of host state a test-bed instance made, without asking the
// daemon that made it.
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './exec.js';
import { isAlive, listIptablesRules, listMountPoints, type IptablesRule } from './host-scan.js';

/** True when `path` is `dir` or inside it. */
export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

/** Sends `signal` to each pid that still exists. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Waits (bounded) until none of `pids` exists; returns those still alive. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids];
  for (;;) {
    const states = await Promise.all(alive.map(async (pid) => ((await isAlive(pid)) ? pid : undefined)));
    alive = states.filter((p): p is number => p !== undefined);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await sleep(50);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when all are gone (or after a bounded wait). */
export async function terminate(pids: readonly number[], graceMs: number): Promise<number[]> {
  signalAll(pids, 'SIGTERM');
  const alive = await waitGone(pids, graceMs);
  if (alive.length === 0) return [];
  signalAll(alive, 'SIGKILL');
  return waitGone(alive, 5_000);
}

/** Unmounts every mount at or below any of `dirs`, deepest first; returns what could not be unmounted. */
export async function unmountUnder(dirs: readonly string[]): Promise<string[]> {
  let left: string[] = [];
  for (let round = 0; round < 5; round++) {
    const mounts = (await listMountPoints()).filter((m) => dirs.some((d) => isUnder(m, d)));
    if (mounts.length === 0) return [];
    // Deepest path first; for stacked mounts on one path, the latest first.
    const ordered = mounts
      .map((path, i) => ({ path, i }))
      .sort((a, b) => b.path.split('/').length - a.path.split('/').length || b.i - a.i);
    for (const { path } of ordered) {
      const res = await run('umount', [path], { allowFailure: true, timeoutMs: 10_000 });
      if (res.code !== 0) await run('umount', ['-l', path], { allowFailure: true, timeoutMs: 10_000 });
    }
    left = mounts;
  }
  return left;
}

/** Deletes network interfaces (missing ones are fine). */
export async function deleteInterfaces(names: readonly string[]): Promise<void> {
  for (const name of names) {
    await run('ip', ['link', 'del', name], { allowFailure: true, timeoutMs: 10_000 });
  }
}

/** Splits an iptables-save rule line into arguments (double quotes, backslash escapes). */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < rule.length; i++) {
    const ch = rule[i] as string;
    if (ch === '\\' && i + 1 < rule.length) {
      cur += rule[++i];
      inArg = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inArg = true;
    } else if (ch === ' ' && !quoted) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(cur);
  return args;
}

/**
 * Deletes the iptables rules `match` selects, then flushes and deletes the
 * per-container chains they jumped to (CNI-DN-*, CNI-SN-*, ...) once nothing
 * references them.
 */
export async function removeIptablesRules(match: (rule: IptablesRule) => boolean): Promise<number> {
  const rules = (await listIptablesRules()).filter(match);
  const chains = new Set<string>();
  for (const { table, rule } of rules) {
    const args = splitRule(rule);
    const jump = args[args.indexOf('-j') + 1];
    if (args.includes('-j') && jump && /^CNI-(DN|SN|SEP|SVC)-/.test(jump)) chains.add(`${table} ${jump}`);
    await run('iptables', ['-w', '5', '-t', table, '-D', ...args.slice(1)], { allowFailure: true, timeoutMs: 10_000 });
  }
  for (const entry of chains) {
    const [table, chain] = entry.split(' ') as [string, string];
    const stillUsed = (await listIptablesRules()).some((r) => r.table === table && splitRule(r.rule).slice(2).includes(chain));
    if (stillUsed) continue;
    await run('iptables', ['-w', '5', '-t', table, '-F', chain], { allowFailure: true, timeoutMs: 10_000 });
    await run('iptables', ['-w', '5', '-t', table, '-X', chain], { allowFailure: true, timeoutMs: 10_000 });
  }
  return rules.length;
}
