import type { Readable, Writable } from 'node:stream';

/**
 * Pipes `from` into `to`; resolves once `to` finished or closed. Output with nowhere to go is read
 * and dropped (a process writing it would otherwise block once its pipe is full) and resolves at
 * once, as does no output at all.
 */
export function pipeOutput(from: Readable | null | undefined, to: Writable | undefined): Promise<void> {
  if (!from) return Promise.resolve();
  if (!to) {
    from.resume();
    return Promise.resolve();
  }
  return new Promise<void>((done) => {
    from.pipe(to);
    to.once('finish', done);
    to.once('close', done);
  });
}
