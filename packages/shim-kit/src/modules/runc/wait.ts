import { readFileSync } from 'node:fs';

/** Polls `check` every `intervalMs` (default 10) until it holds or `timeoutMs` passed; returns whether it held. */
export async function waitFor(check: () => boolean | Promise<boolean>, options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return true;
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 10));
  }
}

/**
 * Whether a process exists and is not a zombie (conmon's parent is init, which may reap
 * late); with `name`, also whether it is still that program (pids get reused).
 */
export function processAlive(pid: number, name?: string): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (name !== undefined && stat.slice(open + 1, close) !== name) return false;
    return stat.slice(close + 2, close + 3) !== 'Z';
  } catch {
    return false;
  }
}
