import { ShimError } from '../errors.js';
import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import type { ExecStreams } from './exec-runner.js';
import { relayExec } from './relay-exec.js';

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
    // Ending the session's stdin closes a stdinOnce container's stdin (the backend decides that);
    // for any other container, the client closing its input ends the attach.
    if (streams.stdin && !request.stdinOnce) streams.stdin.once('end', detach);
    const { stdin, stdout, stderr } = session;
    const exited = session.ended.then(() => 0);
    await relayExec({ stdin, stdout, stderr, exited, kill: detach, ...(session.resize && { resize: (size) => session.resize?.(size) }) }, streams, signal);
  };
}
