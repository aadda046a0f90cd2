import { readFileSync } from 'node:fs';

/**
 * A process's start time in clock ticks since boot (/proc/PID/stat field 22), or undefined
 * when there is no such process. Kept with a pid, it tells the process from a later one that
 * reused the pid.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a temp name made by process `pid` (taken from the name) may be removed: its maker is gone. */
export function leftByDeadProcess(name: string, pattern: RegExp): boolean {
  const pid = pattern.exec(name)?.[1];
  return pid === undefined || processStart(Number(pid)) === undefined;
}
