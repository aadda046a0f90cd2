import type { ExecProcess } from '../interfaces/runtime-backend.js';
import type { ExecStreams } from './exec-runner.js';
import { pipeOutput } from './pipe-output.js';
import { readTerminalSizes } from './terminal-sizes.js';

/** Pipes `streams` to and from `child`; resolves with its exit code once it exited and its output was written. */
export async function relayExec(child: ExecProcess, streams: ExecStreams, signal: AbortSignal): Promise<number> {
  const onAbort = (): void => child.kill();
  if (signal.aborted) child.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  if (streams.stdin && child.stdin) {
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    streams.stdin.pipe(child.stdin);
  }
  if (streams.resize && child.resize) readTerminalSizes(streams.resize, (size) => child.resize?.(size));
  const outputs = [pipeOutput(child.stdout, streams.stdout), pipeOutput(child.stderr, streams.stderr)];
  try {
    const code = await child.exited;
    if (streams.stdin && child.stdin) streams.stdin.unpipe(child.stdin);
    await Promise.all(outputs);
    return code;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
