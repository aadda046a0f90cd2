import { join } from 'node:path';
import { ShimError } from '../errors.js';
import type { AttachSession } from '../interfaces/runtime-backend.js';
import { CONMON_RESIZE, writeConmonControl } from '../modules/runc/conmon-control.js';
import { ATTACH_STDERR, ATTACH_STDOUT, connectSeqpacket } from '../modules/runc/seqpacket-relay.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';

/** Which streams {@link ContainerEngine.start} attaches to before the container runs. */
export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Connects to the container's streams through its conmon's attach socket. */
export async function attachContainer(parts: EngineParts, c: EngineContainer, streams: AttachStreams): Promise<AttachSession> {
  const wanted = [...(streams.stdout ? [ATTACH_STDOUT] : []), ...(streams.stderr ? [ATTACH_STDERR] : [])];
  let connection;
  try {
    connection = await connectSeqpacket(parts.helper, join(parts.layout.socketDir, c.id, 'attach'), wanted);
  } catch (e) {
    throw new ShimError('FailedPrecondition', `container ${c.name}: cannot attach: ${(e as Error).message}`, { cause: e });
  }
  if (!streams.stdin) connection.input.end();
  const bundle = parts.layout.bundle(c.id);
  return {
    stdin: streams.stdin ? connection.input : null,
    stdout: connection.output.get(ATTACH_STDOUT) ?? null,
    stderr: connection.output.get(ATTACH_STDERR) ?? null,
    ended: connection.ended,
    detach: () => connection.close(),
    resize: (size) => void writeConmonControl(bundle, { type: CONMON_RESIZE, height: size.height, width: size.width }, `resize the terminal of ${c.name}`).catch(() => undefined),
  };
}
