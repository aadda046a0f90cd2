import type { Readable, Writable } from 'node:stream';
import type { ExecProcess, RuntimeBackend } from '../interfaces/runtime-backend.js';
import { ShimError } from '../errors.js';
import type { ExecRunner, ExecStreams } from './exec-runner.js';

/**
 * An {@link ExecRunner} that starts the command with the backend's `exec` (e.g. `runc exec` of
 * the container) and relays the client's streams to its pipes. Killed if the client goes away.
 */
export function backendExecRunner(backend: RuntimeBackend): ExecRunner {
  return async (request, streams, signal) => {
    if (!backend.exec) throw new ShimError('Unimplemented', 'the runtime backend cannot exec with streams');
    const child = await backend.exec(request.containerId, {
      cmd: [...request.cmd], tty: false, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, signal,
    });
    return relayExec(child, streams, signal);
  };
}

/** Pipes `streams` to and from `child`; resolves with its exit code once it exited and its output was written. */
export async function relayExec(child: ExecProcess, streams: ExecStreams, signal: AbortSignal): Promise<number> {
  const onAbort = (): void => child.kill();
  if (signal.aborted) child.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  if (streams.stdin && child.stdin) {
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    streams.stdin.pipe(child.stdin);
  }
  const outputs: Array<Promise<void>> = [];
  const forward = (from: Readable | null, to: Writable | undefined): void => {
    if (!from || !to) return;
    outputs.push(new Promise<void>((done) => {
      from.pipe(to);
      to.once('finish', done);
      to.once('close', done);
    }));
  };
  forward(child.stdout, streams.stdout);
  forward(child.stderr, streams.stderr);
  try {
    const code = await child.exited;
    if (streams.stdin && child.stdin) streams.stdin.unpipe(child.stdin);
    await Promise.all(outputs);
    return code;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
