import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import type { OciProcess, Runc } from '@shimkit/runc-driver';
import { ShimError } from '../../errors.js';
import type { ExecOptions, ExecProcess } from '../../interfaces/runtime-backend.js';

/**
 * Starts `runc exec` of container `id` as a child of this process with pipes for the streams
 * asked for (non-tty). `kill()` SIGKILLs the exec'd process (its pid from runc's pid file) and runc.
 */
export async function startRuncExec(runc: Runc, id: string, process: OciProcess, options: ExecOptions): Promise<ExecProcess> {
  if (options.tty) throw new ShimError('Unimplemented', 'exec with a tty is not supported yet; ask for tty=false');
  if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: cmd is empty');
  options.signal?.throwIfAborted();
  const [processFile, pidFile] = await Promise.all([runc.tempPath('process.json'), runc.tempPath('pid')]);
  await runc.writeProcessFile(processFile, { ...process, args: options.cmd, terminal: false });
  const child = spawn(runc.binary, [...runc.globalArgs(), 'exec', '--process', processFile, '--pid-file', pidFile, id], {
    stdio: [options.stdin ? 'pipe' : 'ignore', options.stdout ? 'pipe' : 'ignore', options.stderr ? 'pipe' : 'ignore'],
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new ShimError('Internal', `exec in container ${id}: ${e.message}`, { cause: e })));
    child.once('exit', (code, sig) => resolve(code ?? 128 + (sig === null ? 0 : constants.signals[sig])));
  }).finally(() => Promise.all([rm(processFile, { force: true }), rm(pidFile, { force: true })]));
  exited.catch(() => undefined);
  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pid = Number.parseInt(safeRead(pidFile), 10);
    if (Number.isInteger(pid) && pid > 0) {
      try {
        globalThis.process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  };
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
