import { finished, type Readable } from 'node:stream';

/**
 * The chunks of a byte stream one by one, as the stream produced them. A Readable's own async
 * iterator calls read(), which joins everything buffered into one new Buffer: whenever the
 * reader falls behind (a pull writing files while gunzip and the socket keep producing) most
 * of the data was copied once more, in buffers big enough to grow the malloc heap for good.
 *
 * At most `buffered` chunks wait here; the stream is paused until the reader catches up.
 * Stopping early destroys the stream.
 */
export async function* chunksOf(stream: Readable, buffered = 8): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= buffered) stream.pause();
    notify();
  };
  stream.on('data', onData);
  const stopWatching = finished(stream, (e) => {
    if (e) failure = e;
    done = true;
    notify();
  });
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        if (stream.isPaused() && queue.length < buffered / 2) stream.resume();
        yield chunk;
      } else if (failure !== undefined) {
        throw failure;
      } else if (done) {
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    stream.off('data', onData);
    stopWatching();
    if (!done) stream.destroy();
  }
}
