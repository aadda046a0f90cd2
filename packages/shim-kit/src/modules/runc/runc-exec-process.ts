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
 * the streams asked for. With a tty, runc makes the container's terminal and hands it to the host
 * helper over a console socket, then exits (`--detach`, as conmon and containerd's shim run it):
 * the helper relays that terminal (sized by `resize`) and reports the exec'd process's end, which
 * becomes its child. Node can take neither the fd nor the orphan. runc's own foreground relay is
 * not used: it clears the container terminal's ONLCR only once the process runs, so output written
 * at once sometimes came with a second CR. The output of a tty exec comes on stdout. `kill()`
 * SIGKILLs the exec'd process (its pid from runc's pid file) and runc.
 */
export async function startRuncExec(runc: Runc, id: string, process: OciProcess, options: ExecOptions): Promise<ExecProcess> {
  if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: cmd is empty');
  options.signal?.throwIfAborted();
  const [processFile, pidFile, consoleSocket] = await Promise.all([runc.tempPath('process.json'), runc.tempPath('pid'), options.tty ? runc.tempPath('console.sock') : undefined]);
  await runc.writeProcessFile(processFile, { ...process, args: options.cmd, terminal: options.tty });
  const detach = consoleSocket === undefined ? [] : ['--detach', '--console-socket', consoleSocket];
  const argv = [runc.binary, ...runc.globalArgs(), 'exec', ...detach, '--process', processFile, '--pid-file', pidFile, id];
  const removeFiles = (): Promise<unknown> => Promise.all([processFile, pidFile, consoleSocket].map((f) => f && rm(f, { force: true })));
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
  if (consoleSocket !== undefined) {
    const job = await runc.helper.consoleTerminal({ argv, socket: consoleSocket, pidFile }).catch(async (e: Error) => {
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
