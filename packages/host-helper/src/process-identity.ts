import { readFileSync } from 'node:fs';

/** A process as /proc shows it: its state letter and its start time (clock ticks since boot). */
export interface ProcessIdentity {
  state: string;
  startTime: string;
}

/** /proc/<pid>/stat's state and start time, or undefined when there is no such process. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}

/** Whether `pid` is still the process that started at `startTime` and has not exited (a zombie has). */
export function isSameLiveProcess(pid: number, startTime: string): boolean {
  const now = processIdentity(pid);
  return now !== undefined && now.startTime === startTime && now.state !== 'Z' && now.state !== 'X';
}
