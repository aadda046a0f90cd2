import { execa, type Options as ExecaOptions } from 'execa';
import { readFile, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { RuncError, classifyRuntimeMessage } from './runc-error.js';
import { lastRuntimeError } from './runc-log.js';
import type { SpawnStdio } from './runc-stdio.js';

/** One runtime process to run. */
export interface Invocation {
  /** Verb for messages, e.g. `create`. */
  verb: string;
  /** Container id the call is about, for messages. */
  id?: string;
  /** Global flags (already including the log flags). */
  globals: readonly string[];
  /** Verb and its arguments. */
  args: readonly string[];
  stdio?: readonly [SpawnStdio, SpawnStdio, SpawnStdio];
  /** Open fds handed to the runtime as fd 3, 4, ... (for `--preserve-fds`). */
  extraFds?: readonly number[];
  signal?: AbortSignal | undefined;
  /** Don't throw on a non-zero exit that left no error in the runtime log (foreground run/exec). */
  exitCodeIsResult?: boolean;
}

/** Where the runtime's JSON log goes for one call. */
export interface CallLog {
  path: string;
  /** Bytes already in the file before the call (a shared log file). */
  offset: number;
  /** Remove the file after the call (a per-call log). */
  owned: boolean;
  json: boolean;
}

/** Outcome of an {@link Invocation}. */
export interface InvocationResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  argv: string[];
}

/** Reads what the runtime appended to its log during the call. */
export async function readCallLog(log: CallLog): Promise<string> {
  try {
    const text = await readFile(log.path, 'utf8');
    return log.offset > 0 ? Buffer.from(text).subarray(log.offset).toString('utf8') : text;
  } catch {
    return '';
  }
}

/** Size of a shared log file now (0 when missing). */
export async function logOffset(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = lines[lines.length - 1] ?? '';
  // runc's text log format: time="..." level=error msg="..."
  const m = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m?.[1] ? m[1].replace(/\\"/g, '"') : line;
}

/** Builds the error for a failed call from the runtime log, stderr and the exit status. */
export function failure(binary: string, inv: Invocation, argv: string[], detail: { exitCode?: number; exitSignal?: string; stderr: string; logText: string }): RuncError {
  const runtimeMessage = lastRuntimeError(detail.logText);
  const message = runtimeMessage ?? (lastLine(detail.stderr) || (detail.exitSignal ? `killed by ${detail.exitSignal}` : `exit code ${detail.exitCode}`));
  const code = classifyRuntimeMessage(message);
  const subject = inv.id === undefined ? '' : ` ${inv.id}`;
  return new RuncError(code, `${basename(binary)} ${inv.verb}${subject}: ${message}`, {
    argv,
    stderr: detail.stderr,
    ...(detail.exitCode === undefined ? {} : { exitCode: detail.exitCode }),
    ...(detail.exitSignal === undefined ? {} : { exitSignal: detail.exitSignal }),
    ...(runtimeMessage === undefined ? {} : { runtimeMessage }),
  });
}

/** Runs the runtime once; maps spawn failures, aborts and runtime errors to {@link RuncError}. */
export async function invoke(binary: string, inv: Invocation, log: CallLog): Promise<InvocationResult> {
  const argv = [binary, ...inv.globals, ...inv.args];
  if (inv.signal?.aborted) {
    throw new RuncError('ABORTED', `${basename(binary)} ${inv.verb}: aborted before start`, { argv, cause: inv.signal.reason });
  }
  const [in0, out1, err2] = inv.stdio ?? ['ignore', 'pipe', 'pipe'];
  // execa's types only list fds 0-2, but it passes any open fd number straight to spawn.
  const stdio = [in0, out1, err2, ...(inv.extraFds ?? [])] as unknown as ExecaOptions['stdio'];
  try {
    const subprocess = execa(binary, [...inv.globals, ...inv.args], {
      stdio,
      reject: false,
      stripFinalNewline: false,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      cleanup: true,
    });
    // Abort by hand rather than with execa's cancelSignal: crun hands its own stdio to the
    // container, so after killing the runtime our pipes would stay open as long as the
    // container runs. Destroying them lets the call settle at once.
    const onAbort = (): void => {
      subprocess.kill('SIGKILL');
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
    };
    inv.signal?.addEventListener('abort', onAbort, { once: true });
    const result = await subprocess.finally(() => inv.signal?.removeEventListener('abort', onAbort));
    const stdout = typeof result.stdout === 'string' ? result.stdout : '';
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    if (inv.signal?.aborted) {
      throw new RuncError('ABORTED', `${basename(binary)} ${inv.verb}${inv.id ? ` ${inv.id}` : ''}: aborted`, { argv, stderr, cause: inv.signal?.reason });
    }
    const cause = result.cause as NodeJS.ErrnoException | undefined;
    if (result.exitCode === undefined && !result.signal) {
      const missing = cause?.code === 'ENOENT' || cause?.code === 'EACCES';
      throw new RuncError(
        missing ? 'BINARY_NOT_FOUND' : 'COMMAND_FAILED',
        missing ? `runtime binary not found or not executable: ${binary}` : `cannot run ${binary}: ${cause?.message ?? result.shortMessage}`,
        { argv, cause },
      );
    }
    const exitCode = result.exitCode ?? 128;
    if (exitCode === 0 && !result.signal) return { exitCode, stdout, stderr, argv };
    const logText = log.json ? await readCallLog(log) : '';
    if (inv.exitCodeIsResult && !result.signal && lastRuntimeError(logText) === undefined) {
      return { exitCode, stdout, stderr, argv };
    }
    throw failure(binary, inv, argv, {
      stderr,
      logText,
      ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
      ...(result.signal ? { exitSignal: result.signal } : {}),
    });
  } finally {
    if (log.owned) await rm(log.path, { force: true });
  }
}
