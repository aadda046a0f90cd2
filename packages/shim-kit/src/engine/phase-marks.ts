import { performance } from 'node:perf_hooks';

/** `SHIMKIT_PHASES=1`: the CLI prints, when it exits, when each phase of its command ended. */
// read when used, not when loaded: the CLI's startup snapshot loads this module when it is built
const enabled = (): boolean => process.env.SHIMKIT_PHASES === '1';

/**
 * Marks the end of a phase of a CLI command (a performance mark, only when `SHIMKIT_PHASES=1`:
 * a long-running process must not collect marks).
 */
export function markPhase(name: string): void {
  if (enabled()) performance.mark(name);
}

/** The phases marked so far as lines: ms since the process started, ms since the previous mark, name. */
export function phaseReport(): string {
  let last = 0;
  return performance
    .getEntriesByType('mark')
    .map((m) => {
      const line = `${m.startTime.toFixed(1).padStart(8)} ${`+${(m.startTime - last).toFixed(1)}`.padStart(8)}  ${m.name}\n`;
      last = m.startTime;
      return line;
    })
    .join('');
}

/** Prints {@link phaseReport} to stderr when the process exits, if `SHIMKIT_PHASES=1`. */
export function reportPhasesAtExit(): void {
  if (enabled()) process.once('exit', () => void process.stderr.write(`shimkit phases (ms):\n${phaseReport()}`));
}
