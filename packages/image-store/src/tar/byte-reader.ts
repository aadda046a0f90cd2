/**
 * Pulls exact byte counts out of an async stream of chunks. Chunks are kept
 * in a queue and handed out as views; bytes are only copied when a small read
 * (a 512-byte tar header) straddles two chunks.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly queue: Buffer[] = [];
  /** Bytes already consumed from queue[0]. */
  private offset = 0;
  private buffered = 0;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      if (next.value.length === 0) continue;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.queue.push(chunk);
      this.buffered += chunk.length;
      return true;
    }
  }

  /** Takes up to `n` bytes from the front of the queue as one view (never crossing a chunk). */
  private take(n: number): Buffer {
    const first = this.queue[0]!;
    const take = Math.min(n, first.length - this.offset);
    const out = first.subarray(this.offset, this.offset + take);
    this.offset += take;
    this.buffered -= take;
    if (this.offset === first.length) {
      this.queue.shift();
      this.offset = 0;
    }
    return out;
  }

  /** Exactly `n` bytes, or fewer only when the stream ended first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (!(await this.fill())) break;
    }
    const want = Math.min(n, this.buffered);
    if (want === 0) return Buffer.alloc(0);
    const first = this.take(want);
    if (first.length === want) return first;
    const parts = [first];
    let got = first.length;
    while (got < want) {
      const part = this.take(want - got);
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, want);
  }

  /** Streams the next `n` bytes chunk by chunk; throws `onShort()` when the stream ends first. */
  async *stream(n: number, onShort: () => Error): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill())) throw onShort();
      const out = this.take(left);
      left -= out.length;
      yield out;
    }
  }

  /** Discards the next `n` bytes; returns how many were actually there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill())) break;
      left -= this.take(left).length;
    }
    return n - left;
  }

  /** Reads and drops whatever is left (a tar stream may carry padding after its end blocks). */
  async drain(): Promise<void> {
    this.queue.length = 0;
    this.offset = 0;
    this.buffered = 0;
    while (await this.fill()) {
      this.queue.length = 0;
      this.buffered = 0;
    }
  }
}
