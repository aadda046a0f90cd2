import { spawn } from 'node:child_process';
import { TestBedError } from './errors.js';

/** Output of a finished command. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Options for {@link run}. */
export interface RunOptions {
  signal?: AbortSignal;
  /** Kill the command after this many milliseconds (default 60 s). */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Data written to the command's stdin. */
  input?: string;
  /** Resolve instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

/**
 * Runs a command to completion and returns its output; throws a TestBedError
 * naming the command and its stderr when it fails.
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult & { code: number | null }> {
  const { signal, timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TestBedError('ABORTED', `${file}: aborted before start`, { cause: signal.reason }));
      return;
    }
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const code = err.code === 'ENOENT' ? 'BINARY_MISSING' : 'COMMAND_FAILED';
      reject(new TestBedError(code, `${file}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        reject(new TestBedError('ABORTED', `${file}: aborted`, { cause: signal.reason }));
      } else if (timedOut) {
        reject(new TestBedError('TIMEOUT', `${file} ${args.join(' ')}: timed out after ${timeoutMs} ms`));
      } else if (code !== 0 && !options.allowFailure) {
        const why = sig ? `killed by ${sig}` : `exit code ${code}`;
        reject(new TestBedError('COMMAND_FAILED', `${file} ${args.join(' ')}: ${why}: ${stderr.trim() || stdout.trim()}`));
      } else {
        resolve({ stdout, stderr, code });
      }
    });
  });
}
