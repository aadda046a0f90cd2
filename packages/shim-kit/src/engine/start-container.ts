import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ShimError } from '../errors.js';
import type { AttachSession } from '../interfaces/runtime-backend.js';
import { attachContainer, type AttachStreams } from './attach-container.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';
import { markPhase } from './phase-marks.js';

/** Options of `ContainerEngine.run` (starting a container). */
export interface StartContainerOptions {
  /** Streams to connect to before the container runs, so no output is missed. */
  attach?: AttachStreams;
  /** The command conmon runs when the container exits. */
  exitCommand?: (id: string) => string[];
}

/**
 * Starts a created (or exited and cleaned up) container under a new conmon, attaching its
 * network again when it was released. Runs under the engine's lock.
 */
export async function startContainer(parts: EngineParts, c: EngineContainer, options: StartContainerOptions): Promise<{ container: EngineContainer; session?: AttachSession }> {
  const bundle = parts.layout.bundle(c.id);
  if (!existsSync(join(bundle, 'config.json'))) throw new ShimError('FailedPrecondition', `container ${c.name} has no bundle in ${bundle} (the run dir was cleared?); remove it and run it again`);
  let record = c;
  if (c.network === 'bridge' && (c.netnsPath === undefined || !existsSync(c.netnsPath))) {
    // its network was released when it exited: attach it again
    const attached = await parts.network.attach(c.id, c.name, c.ports);
    record = { ...record, netnsPath: attached.netnsPath, ips: attached.ips };
  }
  await parts.conmon.removeExitFile(c.id);
  await rm(join(bundle, 'conmon'), { recursive: true, force: true });
  let created;
  try {
    created = await parts.conmon.create(c.id, {
      bundle,
      logPath: parts.layout.log(c.id),
      terminal: c.tty,
      stdin: c.interactive,
      leaveStdinOpen: false,
      ...(options.exitCommand ? { exitCommand: options.exitCommand(c.id) } : {}),
    });
  } catch (e) {
    throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
  }
  markPhase('conmon started, runc create done');
  const { exitCode: _code, finishedAt: _finished, ...rest } = record;
  record = { ...rest, pid: created.pid, conmonPid: created.conmonPid };
  let session: AttachSession | undefined;
  try {
    if (options.attach) session = await attachContainer(parts, record, options.attach);
    markPhase('attached');
    await parts.runc.start(c.id);
    markPhase('runc start done');
  } catch (e) {
    session?.detach();
    await parts.runc.delete(c.id, { force: true }).catch(() => undefined);
    throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
  }
  record = { ...record, startedAt: new Date().toISOString() };
  await parts.records.write(record);
  markPhase('record of the start written');
  return { container: record, ...(session ? { session } : {}) };
}
