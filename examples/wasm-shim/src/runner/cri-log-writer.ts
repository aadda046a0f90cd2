import { closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';

/** kubelet splits longer lines too; conmon's buffer is smaller still. */
const MAX_LINE_BYTES = 16 * 1024;
const NEWLINE = 0x0a;
/** How often a write checks whether the log file was rotated (renamed and made anew). */
const ROTATION_CHECK_MS = 100;

/**
 * Writes a container's output to a CRI (k8s-file) log as it comes, synchronously:
 * `<RFC3339 time> <stdout|stderr> <F|P> <text>`, one record per line, `P` for a piece of a line
 * that continues in the next record. Nothing is buffered, so what the module wrote is in the file
 * even if the process is killed right after. When the file at the path is no longer the one it
 * writes to (kubelet rotated it and ReopenContainerLog made a new one), it reopens the path.
 */
export class CriLogWriter {
  readonly #path: string;
  #fd: number | undefined;
  #inode = 0;
  #checkedAt = 0;

  /** `path` '' discards the output. */
  constructor(path: string) {
    this.#path = path;
    if (path !== '') this.#open();
  }

  write(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    if (this.#fd === undefined || data.length === 0) return;
    this.#followRotation();
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
    this.#fd = undefined;
  }

  #open(): void {
    this.#fd = openSync(this.#path, 'a', 0o640);
    this.#inode = fstatSync(this.#fd).ino;
  }

  #followRotation(): void {
    const now = Date.now();
    if (now - this.#checkedAt < ROTATION_CHECK_MS) return;
    this.#checkedAt = now;
    let inode: number | undefined;
    try {
      inode = statSync(this.#path).ino;
    } catch {
      // renamed and not made anew yet: keep writing where we are until it is
      return;
    }
    if (inode === this.#inode) return;
    closeSync(this.#fd!);
    this.#open();
  }
}
