import { spawn } from 'node:child_process';
import { ShimError } from '../../errors.js';

/**
 * Runs a host tool (unshare, nsenter) to completion; rejects with
 * `ShimError('Internal')` carrying its stderr when it fails.
 */
export function runTool(file: string, args: readonly string[], options: { signal?: AbortSignal; what: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(options.signal === undefined ? {} : { signal: options.signal }) });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.once('error', (error) => {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new ShimError(error.name === 'AbortError' ? 'Cancelled' : 'Internal', `${options.what}: ${missing ? `${file} not found` : error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ShimError('Internal', `${options.what}: ${file} failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}`));
    });
  });
}
