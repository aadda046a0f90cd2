import { processIdentity } from '@shimkit/host-helper';

/**
 * A process's start time in clock ticks since boot, or undefined when there is no such process.
 * Kept with a pid, it tells the process from a later one that reused the pid.
 */
export function processStart(pid: number): string | undefined {
  return processIdentity(pid)?.startTime;
}

/** Whether a temp name made by process `pid` (taken from the name) may be removed: its maker is gone. */
export function leftByDeadProcess(name: string, pattern: RegExp): boolean {
  const pid = pattern.exec(name)?.[1];
  return pid === undefined || processStart(Number(pid)) === undefined;
}
