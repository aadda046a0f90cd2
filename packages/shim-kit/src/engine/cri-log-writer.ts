import { closeSync, openSync, writeSync } from 'node:fs';

const NEWLINE = 0x0a;
const LINE_END = Buffer.from('\n');

/**
 * Appends a container's output to a CRI-format log file (conmon's k8s-file:
 * `<RFC3339 time> <stream> <F|P> <text>`, F for a full line, P for a part of one), for a
 * container whose output this process relays itself. Written synchronously, as conmon does:
 * lines stay in the order they came, and the file is complete when the container ends.
 */
export class CriLogWriter {
  readonly #fd: number;

  constructor(path: string) {
    this.#fd = openSync(path, 'a', 0o600);
  }

  /** Bytes as they came: split at newlines, never decoded (a chunk may end inside a character). */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const time = new Date().toISOString();
    const out: Buffer[] = [];
    for (let start = 0; start < chunk.length; ) {
      const end = chunk.indexOf(NEWLINE, start);
      const full = end !== -1;
      out.push(Buffer.from(`${time} ${stream} ${full ? 'F' : 'P'} `), chunk.subarray(start, full ? end : chunk.length), LINE_END);
      start = full ? end + 1 : chunk.length;
    }
    writeSync(this.#fd, Buffer.concat(out));
  }

  close(): void {
    closeSync(this.#fd);
  }
}
