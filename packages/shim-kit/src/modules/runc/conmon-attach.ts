import { join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import type { AttachOptions, AttachSession, TerminalSize } from '../../interfaces/runtime-backend.js';
import { ShimError } from '../../errors.js';
import { CONMON_RESIZE, writeConmonControl } from './conmon-control.js';
import { ATTACH_STDERR, ATTACH_STDOUT, connectSeqpacket } from './seqpacket-relay.js';

/**
 * Attaches to a container through its conmon: output from now on, and input when the container
 * was created with stdin. Ending `stdin` tells conmon the client closed its input (conmon then
 * closes the container's stdin unless it was told to leave it open). Sizes go to conmon's
 * control fifo, which resizes the container's terminal. Both are in the container's `bundle`.
 */
export async function attachConmon(id: string, bundle: string, options: AttachOptions & { helper: HostHelper }, onResizeError: (e: unknown) => void): Promise<AttachSession> {
  options.signal?.throwIfAborted();
  // output the client did not ask for is dropped by the relay, so it cannot hold up the rest
  const wanted = [...(options.stdout ? [ATTACH_STDOUT] : []), ...(options.stderr ? [ATTACH_STDERR] : [])];
  let connection;
  try {
    connection = await connectSeqpacket(options.helper, join(bundle, 'attach'), wanted);
  } catch (e) {
    throw new ShimError('FailedPrecondition', `container ${id}: cannot attach: ${(e as Error).message}`, { cause: e });
  }
  if (!options.stdin) connection.input.end();
  return {
    stdin: options.stdin ? connection.input : null,
    stdout: connection.output.get(ATTACH_STDOUT) ?? null,
    stderr: connection.output.get(ATTACH_STDERR) ?? null,
    ended: connection.ended,
    detach: () => connection.close(),
    resize: (size: TerminalSize) => {
      writeConmonControl(bundle, { type: CONMON_RESIZE, height: size.height, width: size.width }, `resize the terminal of container ${id}`).catch(onResizeError);
    },
  };
}
