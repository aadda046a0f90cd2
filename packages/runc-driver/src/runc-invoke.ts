import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { RuncError, classifyRuntimeMessage } from './runc-error.js';
import { lastRuntimeError } from './runc-log.js';
import { RunnerSpawnError, type HostHelper, type RunnerOutput } from '@shimkit/host-helper';
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
  /**
   * stdin, stdout, stderr. `'log'` for stderr (verbs without output) appends it to the call's
   * log file: no pipe to set up and drain, and anything the runtime prints outside its JSON
   * log (a crash) still lands next to it.
   */
  stdio?: readonly [SpawnStdio, SpawnStdio, SpawnStdio | 'log'];
  /** Open fds handed to the runtime as fd 3, 4, ... (for `--preserve-fds`). */
  extraFds?: readonly number[];
  signal?: AbortSignal | undefined;
  /** Don't throw on a non-zero exit that left no error in the runtime log (foreground run/exec). */
  exitCodeIsResult?: boolean;
  /** Piped stdout and stderr are handed over as they come instead of collected. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** The runtime starts in a session of its own. */
  newSession?: boolean;
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

/** The lines of a log file that are not JSON log entries (what went to stderr). */
function nonJsonLines(text: string): string {
  return text
    .replace(/}\s*{/g, '}\n{')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('{'))
    .join('\n');
}

/** What `stream` writes, kept up to `max` bytes; or, with `hand`, handed over chunk by chunk (resolves with ''). */
function collect(stream: Readable | null, max: number, hand?: (chunk: Buffer) => void): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (hand) hand(chunk);
      else if (size < max) chunks.push(chunk);
      size += chunk.length;
    });
    const done = (): void => resolve(Buffer.concat(chunks).subarray(0, max).toString('utf8'));
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/** How one run of the runtime went, before it is judged. */
interface Ran {
  code: number | null;
  sig: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
  stdout: string;
  stderr: string;
}

/**
 * Runs the runtime once; maps spawn failures, aborts and runtime errors to {@link RuncError}.
 * Calls with plain stdio (no stdin, output captured or discarded, no extra fds) go through
 * the host helper (no fork of this process); the others are spawned here. Uses child_process, not a wrapper
 * library: a runtime call is a few milliseconds and a lifecycle is four of them.
 */
export async function invoke(binary: string, inv: Invocation, log: CallLog, helper: HostHelper): Promise<InvocationResult> {
  const argv = [binary, ...inv.globals, ...inv.args];
  const { signal } = inv;
  if (signal?.aborted) {
    throw new RuncError('ABORTED', `${basename(binary)} ${inv.verb}: aborted before start`, { argv, cause: signal.reason });
  }
  const stderrToLog = inv.stdio?.[2] === 'log' && log.owned;
  try {
    const ran = isPlain(inv) ? await runThrough(helper, argv, inv, log) : await spawnRuntime(argv, inv, log);
    if (signal?.aborted) {
      throw new RuncError('ABORTED', `${basename(binary)} ${inv.verb}${inv.id ? ` ${inv.id}` : ''}: aborted`, { argv, stderr: ran.stderr, cause: signal.reason });
    }
    if (ran.error) {
      const missing = ran.error.code === 'ENOENT' || ran.error.code === 'EACCES';
      throw new RuncError(
        missing ? 'BINARY_NOT_FOUND' : 'COMMAND_FAILED',
        missing ? `runtime binary not found or not executable: ${binary}` : `cannot run ${binary}: ${ran.error.message}`,
        { argv, cause: ran.error },
      );
    }
    if (ran.code === 0) return { exitCode: 0, stdout: ran.stdout, stderr: ran.stderr, argv };
    const logText = log.json || stderrToLog ? await readCallLog(log) : '';
    const stderr = stderrToLog ? nonJsonLines(logText) : ran.stderr;
    if (inv.exitCodeIsResult && ran.code !== null && lastRuntimeError(logText) === undefined) {
      return { exitCode: ran.code, stdout: ran.stdout, stderr, argv };
    }
    throw failure(binary, inv, argv, {
      stderr,
      logText,
      ...(ran.code === null ? {} : { exitCode: ran.code }),
      ...(ran.sig ? { exitSignal: ran.sig } : {}),
    });
  } finally {
    // sync: see Runc's pid file handling
    if (log.owned) rmSync(log.path, { force: true });
  }
}

/** No stdin, no extra fds, output captured, discarded or logged: what the helper runs. */
function isPlain(inv: Invocation): boolean {
  const [in0, out1, err2] = inv.stdio ?? ['ignore', 'pipe', 'pipe'];
  return !inv.onOutput && !inv.newSession && in0 === 'ignore' && (out1 === 'ignore' || out1 === 'pipe') && (err2 === 'ignore' || err2 === 'pipe' || err2 === 'log') && !inv.extraFds?.length;
}

async function runThrough(helper: HostHelper, argv: string[], inv: Invocation, log: CallLog): Promise<Ran> {
  const [, out1, err2] = inv.stdio ?? ['ignore', 'pipe', 'pipe'];
  const stderr: RunnerOutput = err2 === 'log' ? (log.owned ? { append: log.path } : 'pipe') : err2 === 'pipe' ? 'pipe' : 'ignore';
  try {
    const r = await helper.run({ argv, stdout: out1 === 'pipe' ? 'pipe' : 'ignore', stderr, ...(inv.signal === undefined ? {} : { signal: inv.signal }) });
    return { code: r.exitCode, sig: r.signal, stdout: r.stdout.subarray(0, MAX_OUTPUT).toString('utf8'), stderr: r.stderr.subarray(0, MAX_OUTPUT).toString('utf8') };
  } catch (e) {
    if (inv.signal?.aborted) return { code: null, sig: 'SIGKILL', stdout: '', stderr: '' };
    const error = e instanceof RunnerSpawnError ? Object.assign(new Error(e.message), { code: e.code }) : (e as Error);
    return { code: null, sig: null, error, stdout: '', stderr: '' };
  }
}

async function spawnRuntime(argv: string[], inv: Invocation, log: CallLog): Promise<Ran> {
  const [in0, out1, err2] = inv.stdio ?? ['ignore', 'pipe', 'pipe'];
  const stderrToLog = err2 === 'log' && log.owned;
  let child;
  const errFd = stderrToLog ? openSync(log.path, 'a') : undefined;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { stdio: [in0, out1, errFd ?? (err2 === 'log' ? 'pipe' : err2), ...(inv.extraFds ?? [])], detached: inv.newSession ?? false });
  } catch (err) {
    throw new RuncError('INVALID_ARGUMENT', `${basename(argv[0] as string)} ${inv.verb}: cannot spawn: ${(err as Error).message}`, { argv, cause: err });
  } finally {
    if (errFd !== undefined) closeSync(errFd);
  }
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, sig: null, error }));
    child.once('exit', (code, sig) => resolve({ code, sig }));
  });
  const hand = inv.onOutput;
  const stdoutP = collect(child.stdout, MAX_OUTPUT, hand && ((chunk) => hand('stdout', chunk)));
  const stderrP = collect(child.stderr, MAX_OUTPUT, hand && ((chunk) => hand('stderr', chunk)));
  // crun hands its own stdio to the container: after killing the runtime our pipes would
  // stay open as long as the container runs, so abort destroys them too.
  const onAbort = (): void => {
    child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const { signal } = inv;
  signal?.addEventListener('abort', onAbort, { once: true });
  const exit = await exited;
  const [stdout, stderr] = await Promise.all([stdoutP, stderrP]);
  signal?.removeEventListener('abort', onAbort);
  return { ...exit, stdout, stderr };
}
