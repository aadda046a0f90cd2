import type { HostHelper } from '@shimkit/host-helper';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** conmon's stream bytes at the start of each attach packet. */
export const ATTACH_STDOUT = 2;
export const ATTACH_STDERR = 3;

/** A connection to a SEQPACKET socket through the host helper. */
export interface SeqpacketConnection {
  /** Data for the peer; ending it shuts down the sending side. */
  readonly input: Writable;
  /** The payloads of the peer's packets, by their first byte. */
  readonly output: ReadonlyMap<number, Readable>;
  /** Resolves when the connection is over (the outputs are ended by then). */
  readonly ended: Promise<void>;
  /** Ends the connection now. */
  close(): void;
}

/**
 * Connects to the SEQPACKET socket at `path` (conmon's attach socket, which Node's net module
 * cannot open) through the host helper, and demultiplexes the packets by their first byte into
 * one stream per value in `streams`; packets for other values are dropped.
 */
export async function connectSeqpacket(helper: HostHelper, path: string, streams: readonly number[]): Promise<SeqpacketConnection> {
  const socket = await helper.connectSeqpacket(path);
  const output = new Map(streams.map((s) => [s, new PassThrough()]));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) break;
      output.get(pending[0] as number)?.write(pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
    }
  });
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
    for (const s of output.values()) s.end();
  });
  return { input: socket, output, ended, close: () => void socket.destroy() };
}
