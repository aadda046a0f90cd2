import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import type { RunnerResult } from '@shimkit/host-helper';
import type { OciProcess, Runc } from '@shimkit/runc-driver';
import { ShimError } from '../../errors.js';
import type { ExecOptions, ExecProcess } from '../../interfaces/runtime-backend.js';

/**
 * Starts `runc exec` of container `id`. Without a tty it is a child of this process with pipes for
 * the streams asked for. With a tty, runc runs in the foreground on a terminal the host helper
 * opens for it (raw, sized by `resize`): runc then makes the container's terminal itself and
 * relays it to its own, since Node can neither open a pty nor take runc's console socket fd. The
 * output of a tty exec comes on stdout. `kill()` SIGKILLs the exec'd process (its pid from runc's
 * pid file) and runc.
 */
export async function startRuncExec(runc: Runc, id: string, process: OciProcess, options: ExecOptions): Promise<ExecProcess> {
  if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: cmd is empty');
  options.signal?.throwIfAborted();
  const [processFile, pidFile] = await Promise.all([runc.tempPath('process.json'), runc.tempPath('pid')]);
  await runc.writeProcessFile(processFile, { ...process, args: options.cmd, terminal: options.tty });
  const argv = [runc.binary, ...runc.globalArgs(), 'exec', '--process', processFile, '--pid-file', pidFile, id];
  const removeFiles = (): Promise<unknown> => Promise.all([rm(processFile, { force: true }), rm(pidFile, { force: true })]);
  const killExecd = (): void => {
    const pid = Number.parseInt(safeRead(pidFile), 10);
    if (!Number.isInteger(pid) || pid <= 0) return;
    try {
      globalThis.process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const failed = (e: Error): ShimError => new ShimError('Internal', `exec in container ${id}: ${e.message}`, { cause: e });
  if (options.tty) {
    const job = await runc.helper.terminal({ argv }).catch(async (e: Error) => {
      await removeFiles();
      throw failed(e);
    });
    let done = false;
    const exited = job.exited.then(exitCodeOf, (e: Error) => Promise.reject(failed(e))).finally(() => {
      done = true;
      return removeFiles();
    });
    exited.catch(() => undefined);
    return {
      // a terminal without input stays open (as a real one would): unwanted input is just never written
      stdin: options.stdin ? job.terminal : null,
      stdout: job.terminal,
      stderr: null,
      exited,
      kill: () => {
        if (done) return;
        killExecd();
        job.kill();
      },
      resize: (size) => void job.resize(size.height, size.width).catch(() => undefined),
    };
  }
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: [options.stdin ? 'pipe' : 'ignore', options.stdout ? 'pipe' : 'ignore', options.stderr ? 'pipe' : 'ignore'] });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(failed(e)));
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig === null ? 0 : constants.signals[sig])));
  }).finally(removeFiles);
  exited.catch(() => undefined);
  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killExecd();
    child.kill('SIGKILL');
  };
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill };
}

function exitCodeOf(result: RunnerResult): number {
  return result.exitCode ?? 128 + (result.signal === null ? 0 : constants.signals[result.signal]);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
