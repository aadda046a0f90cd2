import { Duplex } from 'node:stream';
import type { SpdyHeaders } from './spdy-header-block.js';

/** What a {@link SpdyStream} needs from its connection. */
export interface SpdyStreamOwner {
  /** Sends `data` on the stream (flow control included); resolves once it is handed to the socket. */
  sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  /** The application consumed `bytes` of received data: the peer may send that much more. */
  consumed(stream: SpdyStream, bytes: number): void;
  /** The stream is gone (both halves closed, reset or destroyed). */
  released(stream: SpdyStream, reason: 'closed' | 'cancel'): void;
  /** Stop reading the socket until the stream's reader catches up. */
  pauseFor(stream: SpdyStream): void;
  /** The stream's reader caught up. */
  resumeFor(stream: SpdyStream): void;
}

/**
 * One SPDY stream opened by the peer, as a Node Duplex: reading gives the peer's DATA, writing sends
 * DATA, `end()` sends FIN. `destroy()` before both sides finished resets the stream (CANCEL).
 */
export class SpdyStream extends Duplex {
  /** The stream id the peer chose. */
  readonly id: number;
  /** The headers of the peer's SYN_STREAM. */
  readonly headers: SpdyHeaders;
  /** The RST_STREAM status the peer reset this stream with, if it did. */
  resetStatus: number | undefined;
  private remoteClosed = false;
  private localClosed = false;
  private unacked = 0;

  /** @internal Created by the connection only. */
  constructor(
    private readonly owner: SpdyStreamOwner,
    init: { id: number; headers: SpdyHeaders },
  ) {
    super({ allowHalfOpen: true });
    this.id = init.id;
    this.headers = init.headers;
  }

  /** The first value of a header of the peer's SYN_STREAM (names are lowercase). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** @internal DATA from the peer. Returns false when the peer already closed its half. */
  receiveData(data: Buffer, fin: boolean): boolean {
    if (this.remoteClosed) return false;
    if (data.length > 0) {
      this.unacked += data.length;
      if (!this.push(data)) this.owner.pauseFor(this);
      else this.ackIfDue();
    }
    if (fin) this.receiveFin();
    return true;
  }

  /** @internal The peer closed its half (FIN). */
  receiveFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.releaseIfDone();
  }

  /** @internal The peer reset the stream. */
  receiveReset(status: number): void {
    this.resetStatus = status;
    this.remoteClosed = true;
    this.localClosed = true;
    this.destroy();
  }

  override _read(): void {
    this.owner.resumeFor(this);
    this.ackIfDue();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.owner.sendData(this, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.owner.sendData(this, Buffer.alloc(0), true).then(() => {
      this.localClosed = true;
      this.releaseIfDone();
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const clean = this.remoteClosed && this.localClosed;
    this.remoteClosed = true;
    this.localClosed = true;
    this.owner.resumeFor(this);
    this.owner.released(this, clean || this.resetStatus !== undefined ? 'closed' : 'cancel');
    callback(error);
  }

  private ackIfDue(): void {
    // Acknowledge in batches of 16 KiB (or whatever is left once the peer is done sending).
    if (this.unacked >= 16 * 1024 || (this.remoteClosed && this.unacked > 0)) {
      const bytes = this.unacked;
      this.unacked = 0;
      if (!this.remoteClosed) this.owner.consumed(this, bytes);
    }
  }

  private releaseIfDone(): void {
    if (this.remoteClosed && this.localClosed) this.owner.released(this, 'closed');
  }
}
