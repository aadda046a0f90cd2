import type { AttachOptions, AttachSession, TerminalSize } from '../../interfaces/runtime-backend.js';
import { ShimError } from '../../errors.js';
import { CONMON_RESIZE, writeConmonControl } from './conmon-control.js';
import { ATTACH_STDERR, ATTACH_STDOUT, connectSeqpacket } from './seqpacket-relay.js';

/** Where a container's conmon listens. */
export interface ConmonEndpoints {
  /** The container's bundle directory (conmon's `ctl` fifo is there). */
  bundle: string;
  /** conmon's attach socket. */
  attachSocket: string;
}

/**
 * Attaches to a container through its conmon: output from now on, and input when the container
 * was created with stdin. Ending `stdin` tells conmon the client closed its input (conmon then
 * closes the container's stdin unless it was told to leave it open). Sizes go to conmon's
 * control fifo, which resizes the container's terminal.
 */
export async function attachConmon(id: string, endpoints: ConmonEndpoints, options: AttachOptions, onResizeError: (e: unknown) => void): Promise<AttachSession> {
  options.signal?.throwIfAborted();
  const connection = connectSeqpacket(endpoints.attachSocket, [ATTACH_STDOUT, ATTACH_STDERR]);
  try {
    await connection.connected;
  } catch (e) {
    connection.close();
    throw new ShimError('FailedPrecondition', `container ${id}: cannot attach: ${(e as Error).message}`, { cause: e });
  }
  if (!options.stdin) connection.input.end();
  const [stdout, stderr] = [ATTACH_STDOUT, ATTACH_STDERR].map((s) => connection.output.get(s) ?? null);
  // unwanted output is read and dropped, so it cannot hold up the wanted stream
  if (!options.stdout) stdout?.resume();
  if (!options.stderr) stderr?.resume();
  return {
    stdin: options.stdin ? connection.input : null,
    stdout: options.stdout ? stdout ?? null : null,
    stderr: options.stderr ? stderr ?? null : null,
    ended: connection.ended,
    detach: () => connection.close(),
    resize: (size: TerminalSize) => {
      writeConmonControl(endpoints.bundle, { type: CONMON_RESIZE, height: size.height, width: size.width }, `resize the terminal of container ${id}`).catch(onResizeError);
    },
  };
}
