import type { Duplex } from 'node:stream';
import { SpdyError } from './spdy-error.js';
import {
  SpdyFlag, SpdyFrameDecoder, SpdyFrameEncoder, SpdyGoAwayStatus, SpdyRstStatus, SpdySettingId,
  type SpdyFrame, type SpdyFrameDecoderOptions,
} from './spdy-frames.js';
import type { SpdyHeaders } from './spdy-header-block.js';
import { SpdyStream, type SpdyStreamOwner } from './spdy-stream.js';

/** The initial flow-control window of SPDY/3.1, for each stream and for the session. */
export const SPDY_INITIAL_WINDOW = 64 * 1024;
/** Largest DATA frame this side sends. */
const MAX_DATA_FRAME = 16 * 1024;
const MAX_WINDOW = 0x7f_ff_ff_ff;

/** Options of {@link SpdyConnection}. */
export interface SpdyConnectionOptions extends SpdyFrameDecoderOptions {
  /** Called for each stream the peer opens, after it was accepted with a SYN_REPLY. */
  onStream: (stream: SpdyStream) => void;
  /**
   * Wait for the peer's WINDOW_UPDATEs before sending more than its window (default false).
   * SPDY/3.1 requires it, but the Go client kubectl and the API server use (moby/spdystream)
   * never sends WINDOW_UPDATE, so a server that waits would stall after 64 KiB of output.
   * WINDOW_UPDATEs for received data are always sent.
   */
  enforceSendWindow?: boolean;
}

/**
 * The server side of a SPDY/3.1 session over an already upgraded socket: accepts the peer's
 * streams (odd ids), answers PINGs, keeps flow-control windows and closes with GOAWAY.
 * A protocol error from the peer ends the session with GOAWAY PROTOCOL_ERROR; see {@link failure}.
 */
export class SpdyConnection implements SpdyStreamOwner {
  /** Resolves when the socket is closed. */
  readonly closed: Promise<void>;
  /** The protocol error that ended the session, if any. */
  failure: Error | undefined;

  private readonly encoder = new SpdyFrameEncoder();
  private readonly decoder: SpdyFrameDecoder;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly sendWindows = new Map<number, number>();
  private readonly pausedBy = new Set<SpdyStream>();
  private readonly windowWaiters: Array<() => void> = [];
  private writeChain: Promise<void> = Promise.resolve();
  private pumping = false;
  /** Bytes arrived while a pump was awaiting (several 'data' events in one tick): pump again. */
  private pumpAgain = false;
  private lastStreamId = 0;
  private goingAway = false;
  private sessionSendWindow = SPDY_INITIAL_WINDOW;
  private initialSendWindow = SPDY_INITIAL_WINDOW;
  private isClosed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: SpdyConnectionOptions,
  ) {
    this.decoder = new SpdyFrameDecoder(options);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      void this.pump();
    });
    socket.on('error', (e: Error) => {
      this.failure ??= e;
    });
    socket.once('close', () => this.teardown());
    // Both halves end together: a peer that ends its half is done with the session.
    socket.once('end', () => socket.destroy());
  }

  /** Number of open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Sends GOAWAY: streams the peer opens from now on are refused, open ones continue. */
  async goAway(status: number = SpdyGoAwayStatus.OK): Promise<void> {
    if (this.goingAway) return;
    this.goingAway = true;
    await this.send({ kind: 'GOAWAY', lastGoodStreamId: this.lastStreamId, status }).catch(() => undefined);
  }

  /** Sends GOAWAY, resets the open streams and closes the socket. */
  async close(): Promise<void> {
    if (!this.isClosed) {
      await this.goAway();
      await this.writeChain.catch(() => undefined);
      // end() lets queued bytes reach the peer; a peer that does not close its side in time is cut off.
      this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), 2000);
      await this.closed;
      clearTimeout(timer);
    }
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  async sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let offset = 0;
    do {
      const size = Math.min(data.length - offset, MAX_DATA_FRAME, await this.sendAllowance(stream.id, data.length - offset));
      const last = offset + size === data.length;
      const chunk = data.subarray(offset, offset + size);
      offset += size;
      if (this.options.enforceSendWindow) {
        this.sessionSendWindow -= size;
        this.sendWindows.set(stream.id, (this.sendWindows.get(stream.id) ?? 0) - size);
      }
      if (!this.streams.has(stream.id)) throw new SpdyError('StreamClosed', `SPDY stream ${stream.id} is closed`);
      await this.send({ kind: 'DATA', streamId: stream.id, flags: fin && last ? SpdyFlag.FIN : 0, data: chunk });
    } while (offset < data.length);
  }

  /** @internal */
  consumed(stream: SpdyStream, bytes: number): void {
    if (!this.streams.has(stream.id)) return;
    void this.send({ kind: 'WINDOW_UPDATE', streamId: stream.id, delta: bytes }).catch(() => undefined);
    void this.send({ kind: 'WINDOW_UPDATE', streamId: 0, delta: bytes }).catch(() => undefined);
  }

  /** @internal */
  released(stream: SpdyStream, reason: 'closed' | 'cancel'): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    this.sendWindows.delete(stream.id);
    this.wakeWindowWaiters();
    if (reason === 'cancel' && !this.isClosed) void this.send({ kind: 'RST_STREAM', streamId: stream.id, status: SpdyRstStatus.CANCEL }).catch(() => undefined);
  }

  /** @internal */
  pauseFor(stream: SpdyStream): void {
    this.pausedBy.add(stream);
    this.socket.pause();
  }

  /** @internal */
  resumeFor(stream: SpdyStream): void {
    if (this.pausedBy.delete(stream) && this.pausedBy.size === 0 && !this.isClosed) this.socket.resume();
  }

  private async sendAllowance(streamId: number, wanted: number): Promise<number> {
    if (!this.options.enforceSendWindow || wanted === 0) return wanted;
    for (;;) {
      if (this.isClosed || !this.streams.has(streamId)) return wanted;
      const allowed = Math.min(this.sessionSendWindow, this.sendWindows.get(streamId) ?? 0);
      if (allowed > 0) return allowed;
      await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
    }
  }

  private wakeWindowWaiters(): void {
    for (const wake of this.windowWaiters.splice(0)) wake();
  }

  private send(frame: SpdyFrame): Promise<void> {
    const result = this.writeChain.then(async () => {
      if (this.isClosed) throw new SpdyError('ConnectionClosed', 'SPDY connection is closed');
      const bytes = await this.encoder.encode(frame);
      if (!this.socket.write(bytes)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    });
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return void (this.pumpAgain = true);
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (let frame = await this.decoder.next(); frame !== undefined && !this.isClosed; frame = await this.decoder.next()) {
          this.handle(frame);
        }
      } while (this.pumpAgain && !this.isClosed);
    } catch (e) {
      this.failure ??= e as Error;
      await this.goAway(SpdyGoAwayStatus.PROTOCOL_ERROR);
      await this.writeChain.catch(() => undefined);
      this.socket.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private handle(frame: SpdyFrame): void {
    switch (frame.kind) {
      case 'SYN_STREAM':
        return this.accept(frame.streamId, frame.flags, frame.headers);
      case 'DATA': {
        const stream = this.streams.get(frame.streamId);
        if (stream === undefined) return this.reset(frame.streamId, SpdyRstStatus.INVALID_STREAM);
        if (!stream.receiveData(frame.data, (frame.flags & SpdyFlag.FIN) !== 0)) this.reset(frame.streamId, SpdyRstStatus.STREAM_ALREADY_CLOSED);
        return;
      }
      case 'HEADERS':
        if ((frame.flags & SpdyFlag.FIN) !== 0) this.streams.get(frame.streamId)?.receiveFin();
        return;
      case 'RST_STREAM':
        this.streams.get(frame.streamId)?.receiveReset(frame.status);
        return;
      case 'PING':
        // Odd ids are the client's pings, which must be echoed; this side never sends any.
        if (frame.id % 2 === 1) void this.send(frame).catch(() => undefined);
        return;
      case 'WINDOW_UPDATE':
        if (frame.streamId === 0) this.sessionSendWindow = Math.min(this.sessionSendWindow + frame.delta, MAX_WINDOW);
        else if (this.sendWindows.has(frame.streamId)) this.sendWindows.set(frame.streamId, Math.min((this.sendWindows.get(frame.streamId) ?? 0) + frame.delta, MAX_WINDOW));
        this.wakeWindowWaiters();
        return;
      case 'SETTINGS':
        for (const s of frame.settings) {
          if (s.id !== SpdySettingId.INITIAL_WINDOW_SIZE) continue;
          const delta = s.value - this.initialSendWindow;
          this.initialSendWindow = s.value;
          for (const [id, w] of this.sendWindows) this.sendWindows.set(id, w + delta);
          this.wakeWindowWaiters();
        }
        return;
      case 'GOAWAY':
        this.goingAway = true;
        return;
      default:
        // SYN_REPLY (this side opens no streams) and unknown control frames are ignored.
        return;
    }
  }

  private accept(id: number, flags: number, headers: SpdyHeaders): void {
    if (id % 2 === 0 || id <= this.lastStreamId) {
      // A client must open odd, increasing ids; anything else is a session error.
      throw new SpdyError('MalformedFrame', `SPDY SYN_STREAM id ${id} is not an odd id above ${this.lastStreamId}`);
    }
    this.lastStreamId = id;
    if (this.goingAway) return this.reset(id, SpdyRstStatus.REFUSED_STREAM);
    // This side does not implement unidirectional (push-like) streams; kubelet's clients never open them.
    if ((flags & SpdyFlag.UNIDIRECTIONAL) !== 0) return this.reset(id, SpdyRstStatus.REFUSED_STREAM);
    const stream = new SpdyStream(this, { id, headers });
    this.streams.set(id, stream);
    this.sendWindows.set(id, this.initialSendWindow);
    void this.send({ kind: 'SYN_REPLY', streamId: id, flags: 0, headers: new Map() }).catch(() => undefined);
    if ((flags & SpdyFlag.FIN) !== 0) stream.receiveFin();
    this.options.onStream(stream);
  }

  private reset(streamId: number, status: number): void {
    void this.send({ kind: 'RST_STREAM', streamId, status }).catch(() => undefined);
  }

  private teardown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const stream of [...this.streams.values()]) stream.destroy();
    this.streams.clear();
    this.wakeWindowWaiters();
    this.encoder.close();
    this.decoder.close();
  }
}
