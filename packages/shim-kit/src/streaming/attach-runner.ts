import { ShimError } from '../errors.js';
import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import type { ExecStreams } from './exec-runner.js';
import { pipeOutput } from './pipe-output.js';
import { readTerminalSizes } from './terminal-sizes.js';

/** What a client asked to attach to, as CRI's AttachRequest carries it, with what the container was created with. */
export interface AttachRequest {
  containerId: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** The container closes its stdin when the first attached client closes its input (ContainerConfig.stdin_once). */
  stdinOnce: boolean;
}

/**
 * Runs one attach: wires the client's streams to the container's stdio and resolves when the
 * session is over (the container exited, or the client closed its input or went away).
 */
export type AttachRunner = (request: AttachRequest, streams: ExecStreams, signal: AbortSignal) => Promise<void>;

/**
 * An {@link AttachRunner} on the backend's `attach`. When the client closes its input, a
 * `stdinOnce` container gets its stdin closed and the session lasts until the container exits;
 * any other container is detached from and keeps running, as CRI-O does.
 */
export function backendAttachRunner(backend: RuntimeBackend): AttachRunner {
  return async (request, streams, signal) => {
    if (!backend.attach) throw new ShimError('Unimplemented', 'the runtime backend cannot attach');
    const session = await backend.attach(request.containerId, { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, signal });
    const detach = (): void => session.detach();
    if (signal.aborted) detach();
    signal.addEventListener('abort', detach, { once: true });
    if (streams.resize && session.resize) readTerminalSizes(streams.resize, (size) => session.resize?.(size));
    if (streams.stdin && session.stdin) {
      session.stdin.on('error', () => undefined); // the container may be gone
      streams.stdin.pipe(session.stdin, { end: request.stdinOnce });
      if (!request.stdinOnce) streams.stdin.once('end', detach);
    }
    const outputs = [pipeOutput(session.stdout, streams.stdout), pipeOutput(session.stderr, streams.stderr)];
    try {
      await session.ended;
      await Promise.all(outputs);
    } finally {
      signal.removeEventListener('abort', detach);
    }
  };
}
