import { markPhase, reportPhasesAtExit } from '../engine/phase-marks.js';
import { runCli, type CliPrograms } from './run-cli.js';

/** Runs this process's `shimkit` command line and sets its exit code. */
export function runCliProcess(programs?: CliPrograms): void {
  markPhase('cli modules loaded');
  reportPhasesAtExit();
  runCli(process.argv.slice(2), {}, programs).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`shimkit: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
