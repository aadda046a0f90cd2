import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import { ShimError } from '../errors.js';
import type { ExecRunner } from './exec-runner.js';
import { relayExec } from './relay-exec.js';

/**
 * An {@link ExecRunner} that starts the command with the backend's `exec` (e.g. `runc exec` of
 * the container) and relays the client's streams to its pipes. Killed if the client goes away.
 */
export function backendExecRunner(backend: RuntimeBackend): ExecRunner {
  return async (request, streams, signal) => {
    if (!backend.exec) throw new ShimError('Unimplemented', 'the runtime backend cannot exec with streams');
    const child = await backend.exec(request.containerId, {
      cmd: [...request.cmd], tty: request.tty, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, signal,
    });
    return relayExec(child, streams, signal);
  };
}
