import { watch } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '@shimkit/host-helper';
import { readExitFile, type ExitStatus } from '@shimkit/runc-driver';

/**
 * Resolves with the container's exit, once conmon wrote its exit file to `exitDir`: woken by the
 * directory's change events, checked again every `checkMs` (events can be missed). Resolves
 * undefined when the conmon `conmonPid` is gone without writing one. Rejects when `signal` aborts.
 */
export async function waitForExit(exitDir: string, id: string, options: { conmonPid?: number; signal?: AbortSignal; checkMs?: number } = {}): Promise<ExitStatus | undefined> {
  const file = join(exitDir, id);
  let wake: (() => void) | undefined;
  const watcher = watch(exitDir, (_event, name) => {
    if (name === null || name === id) wake?.();
  });
  watcher.on('error', () => undefined);
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const status = await readExitFile(file);
      if (status !== undefined) return status;
      if (options.conmonPid !== undefined && !isProcessAlive(options.conmonPid)) return await readExitFile(file);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, options.checkMs ?? 500);
        const onAbort = (): void => {
          done();
          reject(options.signal?.reason as Error);
        };
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        }
        wake = done;
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  } finally {
    watcher.close();
  }
}
