import { SpdyError } from './spdy-error.js';
import { SpdyHeaderCompressor, SpdyHeaderDecompressor, type SpdyHeaders } from './spdy-header-block.js';

/** The SPDY version this codec speaks. */
export const SPDY_VERSION = 3;

/** Control frame type numbers (spdy-protocol-draft3.1, section 2.6). */
export const SpdyControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** Frame flags. FIN ends the sender's half of a stream; UNIDIRECTIONAL is SYN_STREAM-only; CLEAR_SETTINGS is SETTINGS-only. */
export const SpdyFlag = { FIN: 0x01, UNIDIRECTIONAL: 0x02, CLEAR_SETTINGS: 0x01 } as const;

/** RST_STREAM status codes. */
export const SpdyRstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. */
export const SpdyGoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** SETTINGS ids. */
export const SpdySettingId = {
  UPLOAD_BANDWIDTH: 1,
  DOWNLOAD_BANDWIDTH: 2,
  ROUND_TRIP_TIME: 3,
  MAX_CONCURRENT_STREAMS: 4,
  CURRENT_CWND: 5,
  DOWNLOAD_RETRANS_RATE: 6,
  INITIAL_WINDOW_SIZE: 7,
  CLIENT_CERTIFICATE_VECTOR_SIZE: 8,
} as const;

/** Largest length the 24-bit length field can carry. */
export const MAX_FRAME_LENGTH = 0xff_ff_ff;
/** Default limit of a frame's payload accepted by {@link SpdyFrameDecoder}. */
export const DEFAULT_MAX_FRAME_LENGTH = 1024 * 1024;

const MAX_STREAM_ID = 0x7f_ff_ff_ff;

/** A DATA frame. */
export interface SpdyDataFrame { kind: 'DATA'; streamId: number; flags: number; data: Buffer }
/** A SYN_STREAM frame: the peer opens a stream. `priority` is 0 (highest) to 7. */
export interface SpdySynStreamFrame {
  kind: 'SYN_STREAM'; streamId: number; associatedStreamId: number; priority: number; slot: number; flags: number; headers: SpdyHeaders;
}
/** A SYN_REPLY frame: accepts a stream. */
export interface SpdySynReplyFrame { kind: 'SYN_REPLY'; streamId: number; flags: number; headers: SpdyHeaders }
/** A RST_STREAM frame: aborts a stream with a {@link SpdyRstStatus}. */
export interface SpdyRstStreamFrame { kind: 'RST_STREAM'; streamId: number; status: number }
/** One SETTINGS entry. */
export interface SpdySetting { id: number; flags: number; value: number }
/** A SETTINGS frame. */
export interface SpdySettingsFrame { kind: 'SETTINGS'; flags: number; settings: readonly SpdySetting[] }
/** A PING frame. */
export interface SpdyPingFrame { kind: 'PING'; id: number }
/** A GOAWAY frame. */
export interface SpdyGoAwayFrame { kind: 'GOAWAY'; lastGoodStreamId: number; status: number }
/** A HEADERS frame: more headers for an open stream. */
export interface SpdyHeadersFrame { kind: 'HEADERS'; streamId: number; flags: number; headers: SpdyHeaders }
/** A WINDOW_UPDATE frame: the peer may send `delta` more data bytes on the stream. */
export interface SpdyWindowUpdateFrame { kind: 'WINDOW_UPDATE'; streamId: number; delta: number }
/** A control frame of a type this codec does not know; SPDY says to ignore it. */
export interface SpdyUnknownControlFrame { kind: 'UNKNOWN'; type: number; flags: number; payload: Buffer }

/** Any SPDY/3.1 frame. */
export type SpdyFrame =
  | SpdyDataFrame | SpdySynStreamFrame | SpdySynReplyFrame | SpdyRstStreamFrame | SpdySettingsFrame
  | SpdyPingFrame | SpdyGoAwayFrame | SpdyHeadersFrame | SpdyWindowUpdateFrame | SpdyUnknownControlFrame;

/**
 * Serializes frames for one direction of a connection. Header-bearing frames go through the
 * direction's single compression context, so frames must be written in the order `encode` was called.
 */
export class SpdyFrameEncoder {
  private readonly compressor = new SpdyHeaderCompressor();

  /** The wire bytes of `frame`. */
  async encode(frame: SpdyFrame): Promise<Buffer> {
    switch (frame.kind) {
      case 'DATA':
        checkStreamId(frame.streamId, 'DATA');
        return withHeader(dataHeader(frame.streamId, frame.flags, frame.data.length), frame.data);
      case 'SYN_STREAM': {
        checkStreamId(frame.streamId, 'SYN_STREAM');
        if (!Number.isInteger(frame.priority) || frame.priority < 0 || frame.priority > 7) {
          throw new SpdyError('MalformedFrame', `SYN_STREAM priority ${frame.priority} is not 0..7`);
        }
        const fixed = Buffer.alloc(10);
        fixed.writeUInt32BE(frame.streamId, 0);
        fixed.writeUInt32BE(frame.associatedStreamId & MAX_STREAM_ID, 4);
        fixed.writeUInt8(frame.priority << 5, 8);
        fixed.writeUInt8(frame.slot & 0xff, 9);
        const block = await this.compressor.compress(frame.headers);
        return control(SpdyControlType.SYN_STREAM, frame.flags, Buffer.concat([fixed, block]));
      }
      case 'SYN_REPLY':
      case 'HEADERS': {
        checkStreamId(frame.streamId, frame.kind);
        const block = await this.compressor.compress(frame.headers);
        return control(SpdyControlType[frame.kind], frame.flags, Buffer.concat([uint32(frame.streamId), block]));
      }
      case 'RST_STREAM':
        checkStreamId(frame.streamId, 'RST_STREAM');
        return control(SpdyControlType.RST_STREAM, 0, Buffer.concat([uint32(frame.streamId), uint32(frame.status)]));
      case 'SETTINGS': {
        const body = Buffer.alloc(4 + 8 * frame.settings.length);
        body.writeUInt32BE(frame.settings.length, 0);
        frame.settings.forEach((s, i) => {
          if (s.id < 0 || s.id > 0xff_ff_ff) throw new SpdyError('MalformedFrame', `SETTINGS id ${s.id} does not fit 24 bits`);
          body.writeUInt32BE(((s.flags & 0xff) << 24 >>> 0) | s.id, 4 + 8 * i);
          body.writeUInt32BE(s.value >>> 0, 8 + 8 * i);
        });
        return control(SpdyControlType.SETTINGS, frame.flags, body);
      }
      case 'PING':
        return control(SpdyControlType.PING, 0, uint32(frame.id >>> 0));
      case 'GOAWAY':
        return control(SpdyControlType.GOAWAY, 0, Buffer.concat([uint32(frame.lastGoodStreamId & MAX_STREAM_ID), uint32(frame.status)]));
      case 'WINDOW_UPDATE':
        if (!Number.isInteger(frame.delta) || frame.delta < 1 || frame.delta > MAX_STREAM_ID) {
          throw new SpdyError('MalformedFrame', `WINDOW_UPDATE delta ${frame.delta} is not 1..2^31-1`);
        }
        return control(SpdyControlType.WINDOW_UPDATE, 0, Buffer.concat([uint32(frame.streamId & MAX_STREAM_ID), uint32(frame.delta)]));
      case 'UNKNOWN':
        return control(frame.type, frame.flags, frame.payload);
    }
  }

  /** Releases the compression context. */
  close(): void {
    this.compressor.close();
  }
}

/** Options of {@link SpdyFrameDecoder}. */
export interface SpdyFrameDecoderOptions {
  /** Largest payload accepted (default {@link DEFAULT_MAX_FRAME_LENGTH}); longer frames fail with `FrameTooLarge`. */
  maxFrameLength?: number;
  /** Largest inflated header block accepted (default 256 KiB). */
  maxHeaderBlockLength?: number;
}

/**
 * Parses the byte stream of one direction of a connection. Feed it with {@link push} as bytes
 * arrive, in any split, then call {@link next} until it answers `undefined` (no whole frame yet).
 * Calls to `next` must not overlap (header blocks share one decompression context).
 * After an error the decoder is unusable: SPDY treats it as a connection error.
 */
export class SpdyFrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private readonly maxFrameLength: number;
  private readonly decompressor: SpdyHeaderDecompressor;
  private failure: unknown;

  constructor(options: SpdyFrameDecoderOptions = {}) {
    this.maxFrameLength = Math.min(options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH, MAX_FRAME_LENGTH);
    this.decompressor = new SpdyHeaderDecompressor(options.maxHeaderBlockLength === undefined ? {} : { maxHeaderBlockLength: options.maxHeaderBlockLength });
  }

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
  }

  /** Number of received bytes not yet returned as frames. */
  get pendingBytes(): number {
    return this.bufferedLength;
  }

  /** The next whole frame, or `undefined` when more bytes are needed. */
  async next(): Promise<SpdyFrame | undefined> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return await this.nextUnchecked();
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  private async nextUnchecked(): Promise<SpdyFrame | undefined> {
    if (this.bufferedLength < 8) return undefined;
    const head = this.peek(8);
    const length = head.readUIntBE(5, 3);
    const flags = head.readUInt8(4);
    const isControl = (head.readUInt8(0) & 0x80) !== 0;
    if (isControl) {
      const version = head.readUInt16BE(0) & 0x7f_ff;
      if (version !== SPDY_VERSION) throw new SpdyError('UnsupportedVersion', `SPDY control frame has version ${version}, expected ${SPDY_VERSION}`);
    }
    if (length > this.maxFrameLength) {
      throw new SpdyError('FrameTooLarge', `SPDY ${isControl ? `control frame type ${head.readUInt16BE(2)}` : 'DATA frame'} of ${length} bytes exceeds the limit of ${this.maxFrameLength}`);
    }
    if (this.bufferedLength < 8 + length) return undefined;
    const payload = Buffer.from(this.take(8 + length).subarray(8));
    if (!isControl) return { kind: 'DATA', streamId: head.readUInt32BE(0) & MAX_STREAM_ID, flags, data: payload };
    return this.decodeControl(head.readUInt16BE(2), flags, payload);
  }

  private async decodeControl(type: number, flags: number, p: Buffer): Promise<SpdyFrame> {
    const need = (name: string, min: number, exact = false): void => {
      if (exact ? p.length !== min : p.length < min) {
        throw new SpdyError('MalformedFrame', `SPDY ${name} payload is ${p.length} bytes, expected ${exact ? '' : 'at least '}${min}`);
      }
    };
    switch (type) {
      case SpdyControlType.SYN_STREAM: {
        need('SYN_STREAM', 10);
        const streamId = p.readUInt32BE(0) & MAX_STREAM_ID;
        if (streamId === 0) throw new SpdyError('MalformedFrame', 'SPDY SYN_STREAM has stream id 0');
        return {
          kind: 'SYN_STREAM', streamId, associatedStreamId: p.readUInt32BE(4) & MAX_STREAM_ID, priority: p.readUInt8(8) >> 5,
          slot: p.readUInt8(9), flags, headers: await this.decompressor.decompress(p.subarray(10)),
        };
      }
      case SpdyControlType.SYN_REPLY:
      case SpdyControlType.HEADERS: {
        const kind = type === SpdyControlType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS';
        need(kind, 4);
        const streamId = p.readUInt32BE(0) & MAX_STREAM_ID;
        if (streamId === 0) throw new SpdyError('MalformedFrame', `SPDY ${kind} has stream id 0`);
        return { kind, streamId, flags, headers: await this.decompressor.decompress(p.subarray(4)) };
      }
      case SpdyControlType.RST_STREAM:
        need('RST_STREAM', 8, true);
        return { kind: 'RST_STREAM', streamId: p.readUInt32BE(0) & MAX_STREAM_ID, status: p.readUInt32BE(4) };
      case SpdyControlType.SETTINGS: {
        need('SETTINGS', 4);
        const count = p.readUInt32BE(0);
        if (p.length !== 4 + 8 * count) throw new SpdyError('MalformedFrame', `SPDY SETTINGS claims ${count} entries in ${p.length - 4} bytes`);
        const settings: SpdySetting[] = [];
        for (let i = 0; i < count; i++) {
          const word = p.readUInt32BE(4 + 8 * i);
          settings.push({ flags: word >>> 24, id: word & 0xff_ff_ff, value: p.readUInt32BE(8 + 8 * i) });
        }
        return { kind: 'SETTINGS', flags, settings };
      }
      case SpdyControlType.PING:
        need('PING', 4, true);
        return { kind: 'PING', id: p.readUInt32BE(0) };
      case SpdyControlType.GOAWAY:
        need('GOAWAY', 8, true);
        return { kind: 'GOAWAY', lastGoodStreamId: p.readUInt32BE(0) & MAX_STREAM_ID, status: p.readUInt32BE(4) };
      case SpdyControlType.WINDOW_UPDATE: {
        need('WINDOW_UPDATE', 8, true);
        const delta = p.readUInt32BE(4) & MAX_STREAM_ID;
        if (delta === 0) throw new SpdyError('MalformedFrame', 'SPDY WINDOW_UPDATE has a delta of 0');
        return { kind: 'WINDOW_UPDATE', streamId: p.readUInt32BE(0) & MAX_STREAM_ID, delta };
      }
      default:
        return { kind: 'UNKNOWN', type, flags, payload: p };
    }
  }

  private peek(n: number): Buffer {
    const first = this.buffered[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    this.buffered = [Buffer.concat(this.buffered, this.bufferedLength)];
    return (this.buffered[0] as Buffer).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.peek(n);
    const first = this.buffered[0] as Buffer;
    if (first.length === n) this.buffered.shift();
    else this.buffered[0] = first.subarray(n);
    this.bufferedLength -= n;
    return all;
  }

  /** Releases the decompression context. */
  close(): void {
    this.decompressor.close();
  }
}

function checkStreamId(id: number, kind: string): void {
  if (!Number.isInteger(id) || id < 1 || id > MAX_STREAM_ID) throw new SpdyError('MalformedFrame', `SPDY ${kind} stream id ${id} is not 1..2^31-1`);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function dataHeader(streamId: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_LENGTH) throw new SpdyError('FrameTooLarge', `SPDY frame payload of ${length} bytes does not fit 24 bits`);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  h.writeUInt8(flags & 0xff, 4);
  h.writeUIntBE(length, 5, 3);
  return h;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const h = dataHeader(0, flags, payload.length);
  h.writeUInt16BE(0x80_00 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  return withHeader(h, payload);
}

function withHeader(header: Buffer, payload: Buffer): Buffer {
  return Buffer.concat([header, payload]);
}
