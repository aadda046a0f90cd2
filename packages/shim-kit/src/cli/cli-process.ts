import { markPhase, reportPhasesAtExit } from '../engine/phase-marks.js';
import { runCli, type CliPrograms } from './run-cli.js';

/** Grace before the second SIGTERM (which kills a foreground container) after the reader went away. */
const BROKEN_PIPE_GRACE_MS = 2000;

/**
 * When whoever reads our output goes away (`shimkit run ... | head -1`), ends the command as a
 * SIGPIPE ends a C program, instead of an EPIPE stack trace: a SIGTERM, which a foreground
 * container gets forwarded (and is then removed with --rm), and a second one, which kills it,
 * if it has not ended after a grace period. Without a container to stop, the SIGTERM ends us.
 */
function endOnBrokenPipe(): void {
  let broken = false;
  const onError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
    if (broken) return;
    broken = true;
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), BROKEN_PIPE_GRACE_MS).unref();
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** Runs this process's `shimkit` command line and sets its exit code. */
export function runCliProcess(programs?: CliPrograms): void {
  markPhase('cli modules loaded');
  reportPhasesAtExit();
  endOnBrokenPipe();
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
