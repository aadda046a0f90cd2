import { spawn } from 'node:child_process';
import type { ProcessRunner } from '@shimkit/runc-driver';

/** What {@link runCommand} returns: the exit status and the captured output. */
export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
  /** Bytes kept per stream (default 1 MiB); the rest is dropped. */
  maxOutputBytes?: number;
  /** Forks the program (no fork of this process; see runc-driver's ProcessRunner). */
  runner?: ProcessRunner;
}

/**
 * Runs a program to completion and captures its output. Rejects only when it cannot be
 * started or is aborted; a non-zero exit is a result.
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const max = options.maxOutputBytes ?? 1024 * 1024;
  if (options.runner !== undefined) return runThrough(options.runner, [file, ...args], options, max);
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      killSignal: 'SIGKILL',
      timeout: options.timeoutMs ?? 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (into: Buffer[]) => {
      let size = 0;
      return (chunk: Buffer): void => {
        if (size >= max) return;
        into.push(chunk.subarray(0, max - size));
        size += chunk.length;
      };
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    // The program may exit without reading its stdin; that is its business, not an error here.
    child.stdin.on('error', () => undefined);
    let failed = false;
    child.on('error', (e) => {
      failed = true;
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (failed) return;
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** {@link runCommand} through a process runner: the same results, timeouts and abort errors. */
async function runThrough(runner: ProcessRunner, argv: string[], options: RunCommandOptions, max: number): Promise<CommandResult> {
  const caller = options.signal;
  caller?.throwIfAborted();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const env = Object.fromEntries(Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const r = await runner.run({ argv, env, stdin: options.input ?? '', stdout: 'pipe', stderr: 'pipe', signal: caller === undefined ? timeout : AbortSignal.any([caller, timeout]) });
  // as child_process does when its `signal` aborts
  if (caller?.aborted) throw Object.assign(new Error('The operation was aborted', { cause: caller.reason as unknown }), { name: 'AbortError', code: 'ABORT_ERR' });
  return { code: r.exitCode, signal: r.signal, stdout: r.stdout.subarray(0, max).toString('utf8'), stderr: r.stderr.subarray(0, max).toString('utf8') };
}
