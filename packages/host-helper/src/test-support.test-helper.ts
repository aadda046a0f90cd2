import { execFileSync } from 'node:child_process';

export const sh = (script: string): string[] => ['sh', '-c', script];

let markers = 0;
/** A `sleep 30` whose command line is unique to this test (sleep adds its arguments up). */
export function sleeper(): { argv: string[]; marker: string } {
  const marker = `0.0${process.pid}${++markers}`;
  return { argv: ['sleep', '30', marker], marker };
}

/** pids of the processes whose command line holds `marker`. */
export function processesWith(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function killAll(marker: string): void {
  for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
}
