/**
 * The helper's wire format: a frame is a little-endian u32 length, then fields, each a
 * little-endian u32 length and its bytes (see native/helper.h).
 */
export type Field = string | Buffer;

export function encodeFrame(fields: readonly Field[]): Buffer {
  const parts = fields.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));
  const size = parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = Buffer.allocUnsafe(4 + size);
  out.writeUInt32LE(size, 0);
  let at = 4;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Collects bytes and hands out every complete frame as its fields. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[][] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[][] = [];
    while (this.#pending.length >= 4) {
      const size = this.#pending.readUInt32LE(0);
      if (this.#pending.length < 4 + size) break;
      const fields: Buffer[] = [];
      let at = 4;
      while (at < 4 + size) {
        const n = this.#pending.readUInt32LE(at);
        fields.push(this.#pending.subarray(at + 4, at + 4 + n));
        at += 4 + n;
      }
      frames.push(fields);
      this.#pending = this.#pending.subarray(4 + size);
    }
    return frames;
  }
}
