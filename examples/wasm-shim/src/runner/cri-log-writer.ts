import { closeSync, openSync, writeSync } from 'node:fs';

/** kubelet splits longer lines too; conmon's buffer is smaller still. */
const MAX_LINE_BYTES = 16 * 1024;
const NEWLINE = 0x0a;

/**
 * Writes a container's output to a CRI (k8s-file) log as it comes, synchronously:
 * `<RFC3339 time> <stdout|stderr> <F|P> <text>`, one record per line, `P` for a piece of a line
 * that continues in the next record. Nothing is buffered, so what the module wrote is in the file
 * even if the process is killed right after.
 */
export class CriLogWriter {
  readonly #fd: number | undefined;

  /** `path` '' discards the output. */
  constructor(path: string) {
    this.#fd = path === '' ? undefined : openSync(path, 'a', 0o640);
  }

  write(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    if (this.#fd === undefined || data.length === 0) return;
    const records: Buffer[] = [];
    const time = new Date().toISOString();
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(NEWLINE, start);
      const end = newline === -1 ? data.length : newline;
      for (let at = start; at < end || at === start; at += MAX_LINE_BYTES) {
        const pieceEnd = Math.min(end, at + MAX_LINE_BYTES);
        const full = newline !== -1 && pieceEnd === end;
        records.push(Buffer.from(`${time} ${stream} ${full ? 'F' : 'P'} `), Buffer.from(data.subarray(at, pieceEnd)), Buffer.from('\n'));
        if (pieceEnd >= end) break;
      }
      start = end + 1;
    }
    writeSync(this.#fd, Buffer.concat(records));
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
  }
}
