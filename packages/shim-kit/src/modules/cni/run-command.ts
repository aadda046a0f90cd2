import type { HostHelper, RunnerJob } from '@shimkit/host-helper';

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
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
  /** Bytes kept per stream (default 1 MiB); the rest is dropped. */
  maxOutputBytes?: number;
  /** Forks the program (no fork of this process). */
  helper: HostHelper;
}

/**
 * Runs a program to completion through the host helper and captures its output. Rejects
 * only when it cannot be started or is aborted (with an AbortError, as child_process does); a
 * non-zero exit, or a kill at the timeout, is a result.
 */
export async function runCommand(file: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  const max = options.maxOutputBytes ?? 1024 * 1024;
  const caller = options.signal;
  caller?.throwIfAborted();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const env = Object.fromEntries(Object.entries(options.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
  const job: RunnerJob = { argv: [file, ...args], env, stdin: options.input ?? '', stdout: 'pipe', stderr: 'pipe', signal: caller === undefined ? timeout : AbortSignal.any([caller, timeout]) };
  const r = await options.helper.run(job);
  if (caller?.aborted) throw Object.assign(new Error('The operation was aborted', { cause: caller.reason as unknown }), { name: 'AbortError', code: 'ABORT_ERR' });
  return { code: r.exitCode, signal: r.signal, stdout: r.stdout.subarray(0, max).toString('utf8'), stderr: r.stderr.subarray(0, max).toString('utf8') };
}
