import type { Readable, Writable } from 'node:stream';

/** Pipes `from` into `to`; resolves once `to` finished or closed. Nothing to pipe resolves at once. */
export function pipeOutput(from: Readable | null | undefined, to: Writable | undefined): Promise<void> {
  if (!from || !to) return Promise.resolve();
  return new Promise<void>((done) => {
    from.pipe(to);
    to.once('finish', done);
    to.once('close', done);
  });
}
