/**
 * Pulls exact byte counts out of an async stream of chunks, without copying
 * more than it must. Used by the tar reader, which alternates between fixed
 * 512-byte headers and entry bodies streamed through.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer = Buffer.alloc(0);
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
      const chunk = Buffer.isBuffer(next.value)
        ? next.value
        : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      return true;
    }
  }

  /** Exactly `n` bytes, or fewer only when the stream ended first. */
  async read(n: number): Promise<Buffer> {
    while (this.pending.length < n) {
      if (!(await this.fill())) break;
    }
    const take = Math.min(n, this.pending.length);
    const out = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    return out;
  }

  /** Streams the next `n` bytes chunk by chunk; throws `onShort()` when the stream ends first. */
  async *stream(n: number, onShort: () => Error): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) throw onShort();
      const take = Math.min(left, this.pending.length);
      const out = this.pending.subarray(0, take);
      this.pending = this.pending.subarray(take);
      left -= take;
      yield out;
    }
  }

  /** Discards the next `n` bytes; returns how many were actually there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.fill())) break;
      const take = Math.min(left, this.pending.length);
      this.pending = this.pending.subarray(take);
      left -= take;
    }
    return n - left;
  }

  /** Reads and drops whatever is left (a tar stream may carry padding after its end blocks). */
  async drain(): Promise<void> {
    this.pending = Buffer.alloc(0);
    while (await this.fill()) this.pending = Buffer.alloc(0);
  }

  /** Stops the underlying iterator early (closes the source stream). */
  async cancel(): Promise<void> {
    this.done = true;
    await this.iterator.return?.();
  }
}
