import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import type { OciProcess, Runc } from '@shimkit/runc-driver';
import { ShimError } from '../../errors.js';
import type { ExecOptions, ExecProcess } from '../../interfaces/runtime-backend.js';
import { ttyResizer } from './tty-resizer.js';

/**
 * Starts `runc exec` of container `id` as a child of this process. Without a tty it gets pipes for
 * the streams asked for. With a tty, runc runs in the foreground on a terminal `script` (util-linux,
 * always on Debian) opens for it: runc then makes the container's terminal itself and relays it to
 * its own, since Node can neither open a pty nor take runc's console socket fd. That outer terminal
 * is made raw before runc starts (runc does so too, but the command's first output may come
 * earlier and would get a second CR). The output of a tty exec comes on stdout. `kill()` SIGKILLs the exec'd process (its pid from runc's pid file) and runc.
 */
export async function startRuncExec(runc: Runc, id: string, process: OciProcess, options: ExecOptions): Promise<ExecProcess> {
  if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: cmd is empty');
  options.signal?.throwIfAborted();
  const [processFile, pidFile] = await Promise.all([runc.tempPath('process.json'), runc.tempPath('pid')]);
  await runc.writeProcessFile(processFile, { ...process, args: options.cmd, terminal: options.tty });
  const argv = [runc.binary, ...runc.globalArgs(), 'exec', '--process', processFile, '--pid-file', pidFile, id];
  const child = options.tty
    ? spawn('script', ['--quiet', '--return', '--echo', 'never', '--command', `stty raw -echo && exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...globalThis.process.env, SHELL: '/bin/sh' },
    })
    : spawn(argv[0] as string, argv.slice(1), { stdio: [options.stdin ? 'pipe' : 'ignore', options.stdout ? 'pipe' : 'ignore', options.stderr ? 'pipe' : 'ignore'] });
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
  if (!options.tty) return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill };
  // a terminal without input stays open (as a real one would), so the stdin pipe is kept even when unwanted
  return { stdin: options.stdin ? child.stdin : null, stdout: child.stdout, stderr: null, exited, kill, resize: ttyResizer(child) };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
