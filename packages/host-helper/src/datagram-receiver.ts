import { unlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

/** One datagram and the pid of the process that sent it (0 when the kernel gave none). */
export interface Datagram {
  pid: number;
  data: Buffer;
}

/**
 * The datagrams arriving on a unix datagram socket the host helper bound, in order. Closing it
 * closes the socket and removes its file (an abstract `@name` has none).
 */
export class DatagramReceiver implements AsyncDisposable, AsyncIterable<Datagram> {
  readonly path: string;
  readonly #socket: Socket;
  readonly #queue: Datagram[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;
  #pending = Buffer.alloc(0);

  constructor(path: string, socket: Socket) {
    this.path = path;
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#take(chunk));
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #take(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    // each datagram comes as the sender's pid and the data's length (u32 big-endian), then the data
    while (this.#pending.length >= 8 && this.#pending.length >= 8 + this.#pending.readUInt32BE(4)) {
      const size = this.#pending.readUInt32BE(4);
      this.#queue.push({ pid: this.#pending.readUInt32BE(0), data: this.#pending.subarray(8, 8 + size) });
      this.#pending = this.#pending.subarray(8 + size);
    }
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  /** The next datagram, or undefined once the receiver is closed and everything was read. */
  async next(): Promise<Datagram | undefined> {
    while (this.#queue.length === 0 && !this.#ended) await new Promise<void>((resolve) => (this.#waiter = resolve));
    return this.#queue.shift();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Datagram> {
    for (let d = await this.next(); d !== undefined; d = await this.next()) yield d;
  }

  async close(): Promise<void> {
    this.#socket.end();
    this.#socket.destroy();
    if (!this.path.startsWith('@')) await unlink(this.path).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
