import { afterEach, describe, expect, it } from 'vitest';
import { isSpdyError, type SpdyErrorReason } from './spdy-error.js';
import { SpdyFlag, SpdyFrameDecoder, SpdyFrameEncoder, SpdyRstStatus, SpdySettingId, type SpdyFrame } from './spdy-frames.js';

const headers = new Map([['streamtype', ['stdout']], ['port', ['8080']]]);
const everyKind: SpdyFrame[] = [
  { kind: 'DATA', streamId: 1, flags: SpdyFlag.FIN, data: Buffer.from('hello') },
  { kind: 'DATA', streamId: 0x7f_ff_ff_ff, flags: 0, data: Buffer.alloc(0) },
  { kind: 'SYN_STREAM', streamId: 3, associatedStreamId: 0, priority: 7, slot: 0, flags: SpdyFlag.UNIDIRECTIONAL, headers },
  { kind: 'SYN_REPLY', streamId: 3, flags: 0, headers: new Map() },
  { kind: 'RST_STREAM', streamId: 5, status: SpdyRstStatus.CANCEL },
  { kind: 'SETTINGS', flags: SpdyFlag.CLEAR_SETTINGS, settings: [{ id: SpdySettingId.INITIAL_WINDOW_SIZE, flags: 1, value: 65_536 }, { id: SpdySettingId.MAX_CONCURRENT_STREAMS, flags: 0, value: 0xff_ff_ff_ff }] },
  { kind: 'SETTINGS', flags: 0, settings: [] },
  { kind: 'PING', id: 0xff_ff_ff_ff },
  { kind: 'GOAWAY', lastGoodStreamId: 9, status: 1 },
  { kind: 'HEADERS', streamId: 3, flags: SpdyFlag.FIN, headers },
  { kind: 'WINDOW_UPDATE', streamId: 0, delta: 0x7f_ff_ff_ff },
  { kind: 'UNKNOWN', type: 42, flags: 3, payload: Buffer.from([1, 2, 3]) },
];

let open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open) o.close();
  open = [];
});
function codec(options = {}): { encoder: SpdyFrameEncoder; decoder: SpdyFrameDecoder } {
  const encoder = new SpdyFrameEncoder();
  const decoder = new SpdyFrameDecoder(options);
  open.push(encoder, decoder);
  return { encoder, decoder };
}

async function drain(decoder: SpdyFrameDecoder): Promise<SpdyFrame[]> {
  const frames: SpdyFrame[] = [];
  for (let f = await decoder.next(); f !== undefined; f = await decoder.next()) frames.push(f);
  return frames;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('SPDY/3.1 frames', () => {
  it('round-trips every frame type through one encoder and decoder', async () => {
    const { encoder, decoder } = codec();
    for (const frame of everyKind) decoder.push(await encoder.encode(frame));
    expect(await drain(decoder)).toEqual(everyKind);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('writes the wire layout of the spec', async () => {
    const { encoder } = codec();
    // Control bit + version 3, type 6, flags 0, length 4, id.
    expect((await encoder.encode({ kind: 'PING', id: 7 })).toString('hex')).toBe('80030006000000040000' + '0007');
    // Stream id, flags FIN, length 2, data.
    expect((await encoder.encode({ kind: 'DATA', streamId: 5, flags: 1, data: Buffer.from('hi') })).toString('hex')).toBe('00000005010000026869');
    // SETTINGS entry: flags (8 bits) then id (24 bits), then value.
    expect((await encoder.encode({ kind: 'SETTINGS', flags: 0, settings: [{ id: 7, flags: 1, value: 65_536 }] })).toString('hex'))
      .toBe('800300040000000c' + '00000001' + '01000007' + '00010000');
  });

  it('parses frames split across chunks at every byte', async () => {
    const { encoder, decoder } = codec();
    const wire = Buffer.concat(await Promise.all(everyKind.map((f) => encoder.encode(f))));
    const frames: SpdyFrame[] = [];
    for (let i = 0; i < wire.length; i++) {
      decoder.push(wire.subarray(i, i + 1));
      frames.push(...(await drain(decoder)));
    }
    expect(frames).toEqual(everyKind);
  });

  it('returns nothing until a whole frame is there', async () => {
    const { encoder, decoder } = codec();
    const wire = await encoder.encode({ kind: 'DATA', streamId: 1, flags: 0, data: Buffer.alloc(100) });
    decoder.push(wire.subarray(0, 50));
    expect(await decoder.next()).toBeUndefined();
    expect(decoder.pendingBytes).toBe(50);
    decoder.push(wire.subarray(50));
    expect((await decoder.next())?.kind).toBe('DATA');
  });

  const malformed: Array<[string, string, SpdyErrorReason, RegExp]> = [
    ['version 2', '80020006000000040000000' + '1', 'UnsupportedVersion', /version 2, expected 3/],
    ['short PING', '8003000600000003000000', 'MalformedFrame', /PING payload is 3 bytes, expected 4/],
    ['long RST_STREAM', '800300030000000c' + '00'.repeat(12), 'MalformedFrame', /RST_STREAM payload is 12 bytes/],
    ['short GOAWAY', '8003000700000004' + '00000001', 'MalformedFrame', /GOAWAY payload is 4 bytes/],
    ['zero WINDOW_UPDATE', '8003000900000008' + '00000001' + '00000000', 'MalformedFrame', /delta of 0/],
    ['lying SETTINGS', '8003000400000004' + '00000002', 'MalformedFrame', /claims 2 entries/],
    ['SYN_STREAM on stream 0', '800300010000000a' + '00'.repeat(10), 'MalformedFrame', /stream id 0/],
    ['short SYN_REPLY', '8003000200000002' + '0001', 'MalformedFrame', /SYN_REPLY payload is 2 bytes/],
    ['SYN_REPLY with a garbage header block', '8003000200000008' + '00000001' + 'deadbeef', 'MalformedHeaderBlock', /does not inflate/],
    ['oversized DATA', '00000001' + '00100000', 'FrameTooLarge', /DATA frame of 1048576 bytes exceeds the limit of 1024/],
  ];
  for (const [name, hex, reason, message] of malformed) {
    it(`rejects ${name}`, async () => {
      const { decoder } = codec({ maxFrameLength: 1024 });
      decoder.push(Buffer.from(hex, 'hex'));
      const e = await rejection(decoder.next());
      expect(isSpdyError(e, reason), String(e)).toBe(true);
      expect(e.message).toMatch(message);
      // A connection error: the decoder stays failed.
      expect(await rejection(decoder.next())).toBe(e);
    });
  }

  it('refuses to encode what the wire cannot carry', async () => {
    const { encoder } = codec();
    await expect(encoder.encode({ kind: 'DATA', streamId: 0, flags: 0, data: Buffer.alloc(0) })).rejects.toThrow(/stream id 0 is not/);
    await expect(encoder.encode({ kind: 'SYN_STREAM', streamId: 1, associatedStreamId: 0, priority: 8, slot: 0, flags: 0, headers })).rejects.toThrow(/priority 8/);
    await expect(encoder.encode({ kind: 'WINDOW_UPDATE', streamId: 1, delta: 0 })).rejects.toThrow(/delta 0/);
    await expect(encoder.encode({ kind: 'SETTINGS', flags: 0, settings: [{ id: 1 << 24, flags: 0, value: 1 }] })).rejects.toThrow(/24 bits/);
  });
});
