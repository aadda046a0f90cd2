import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { killProcessTree } from './process-tree.js';
import { checkId } from './runc-args.js';
import { RuncError } from './runc-error.js';
import { failure } from './runc-invoke.js';
import { lastRuntimeError } from './runc-log.js';
import type { Runc } from './runc.js';
import type { OciProcess } from './runc-types.js';

/** kubelet's cap on each ExecSync output stream. */
export const EXEC_SYNC_MAX_OUTPUT = 16 * 1024 * 1024;

/** Options of {@link execSync}. */
export interface ExecSyncOptions {
  /** Kill the process (and its children) after this many milliseconds; 0 or unset: no limit. */
  timeoutMs?: number;
  /** Cap on each of stdout and stderr in bytes (default 16 MiB); the rest is read and dropped. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/** Outcome of {@link execSync}. */
export interface ExecSyncResult {
  /** Exit code of the process (128+n when killed by signal n). */
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when the stream went over the cap and was cut. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

interface Capture {
  chunks: Buffer[];
  size: number;
  truncated: boolean;
  ended: Promise<void>;
}

function capture(stream: Readable, max: number): Capture {
  const c: Capture = { chunks: [], size: 0, truncated: false, ended: Promise.resolve() };
  c.ended = new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const room = max - c.size;
      if (room <= 0) {
        c.truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) c.truncated = true;
      c.chunks.push(kept);
      c.size += kept.length;
    });
    stream.once('close', resolve);
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
  return c;
}

async function readPidFile(path: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0) return pid;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * ExecSync: runs `process` in a running container with `runc exec` as a direct child of this
 * process (no monitor), captures stdout and stderr (capped), and returns the exit code.
 * On timeout (or abort) the exec'd process and its descendants are SIGKILLed, the container
 * keeps running, and the call rejects with `TIMEOUT` (or `ABORTED`).
 */
export async function execSync(runc: Runc, id: string, process: OciProcess, options: ExecSyncOptions = {}): Promise<ExecSyncResult> {
  checkId(id, 'exec-sync');
  const { signal } = options;
  if (signal?.aborted) throw new RuncError('ABORTED', `exec-sync ${id}: aborted before start`, { cause: signal.reason });
  if (process.terminal) throw new RuncError('INVALID_ARGUMENT', 'exec-sync: process.terminal is not supported; set it to false');
  if (!Array.isArray(process.args) || process.args.length === 0) throw new RuncError('INVALID_ARGUMENT', 'exec-sync: process.args must be a non-empty array');
  const max = options.maxOutputBytes ?? EXEC_SYNC_MAX_OUTPUT;
  const [processFile, pidFile, logFile] = await Promise.all([runc.tempPath('process.json'), runc.tempPath('pid'), runc.tempPath('log')]);
  await runc.writeProcessFile(processFile, process);
  const args = [...runc.globalArgs(logFile), 'exec', '--process', processFile, '--pid-file', pidFile, id];
  const argv = [runc.binary, ...args];
  const child = spawn(runc.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = capture(child.stdout, max);
  const err = capture(child.stderr, max);
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, sig: null, error }));
    child.once('exit', (code, sig) => resolve({ code, sig }));
  });

  let stopped: 'timeout' | 'abort' | undefined;
  let killing: Promise<void> | undefined;
  const stop = (why: 'timeout' | 'abort'): void => {
    if (stopped) return;
    stopped = why;
    killing = (async () => {
      const pid = await readPidFile(pidFile, 1000);
      if (pid !== undefined) await killProcessTree(pid);
      // runc exits once its child is gone; if it was not started yet, kill it too
      const grace = setTimeout(() => child.kill('SIGKILL'), pid === undefined ? 0 : 2000);
      await exited;
      clearTimeout(grace);
    })();
  };
  const timer = options.timeoutMs ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
  const onAbort = (): void => stop('abort');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exit = await exited;
    if (timer) clearTimeout(timer);
    await killing;
    // the exec'd process may have left children holding our pipes: don't wait for them forever
    const drained = await Promise.race([Promise.all([out.ended, err.ended]).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]);
    if (!drained) {
      child.stdout.destroy();
      child.stderr.destroy();
    }
    const stdout = Buffer.concat(out.chunks);
    const stderr = Buffer.concat(err.chunks);
    if (stopped === 'timeout') {
      throw new RuncError('TIMEOUT', `exec-sync ${id}: ${process.args.join(' ')} timed out after ${options.timeoutMs} ms; killed it`, { argv, stderr: stderr.toString() });
    }
    if (stopped === 'abort') throw new RuncError('ABORTED', `exec-sync ${id}: aborted`, { argv, cause: signal?.reason });
    if (exit.error) {
      const missing = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new RuncError(missing ? 'BINARY_NOT_FOUND' : 'COMMAND_FAILED', missing ? `runtime binary not found: ${runc.binary}` : exit.error.message, { argv, cause: exit.error });
    }
    const logText = exit.code === 0 ? '' : await readFile(logFile, 'utf8').catch(() => '');
    if (exit.sig || lastRuntimeError(logText) !== undefined) {
      throw failure(runc.binary, { verb: 'exec', id, globals: [], args }, argv, {
        stderr: stderr.toString(),
        logText,
        ...(exit.code === null ? {} : { exitCode: exit.code }),
        ...(exit.sig ? { exitSignal: exit.sig } : {}),
      });
    }
    return { exitCode: exit.code ?? 0, stdout, stderr, stdoutTruncated: out.truncated, stderrTruncated: err.truncated };
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all([processFile, pidFile, logFile].map((f) => rm(f, { force: true })));
  }
}
