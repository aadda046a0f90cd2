import { mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShimError } from '../errors.js';
import { CriLogWriter } from './cri-log-writer.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';
import { markPhase } from './phase-marks.js';
import { signalContainer } from './signal-container.js';

/** Options of {@link ContainerEngine.runAndRemove}. */
export interface RunAndRemoveOptions {
  /** The container's stdout and stderr as they come (its log has them too while it runs). */
  onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** A container {@link ContainerEngine.runAndRemove} runs. */
export interface ForegroundRun {
  container: EngineContainer;
  /** Sends a signal to the container's process. */
  kill(signal: string): Promise<void>;
  /** The container's exit code, once it exited and was removed. */
  exited: Promise<number>;
}

/**
 * Runs a created container to its end as this process's child (`runc run` in a session of its
 * own: a terminal's Ctrl-C reaches this process, which forwards it), then removes it with
 * `remove`. No conmon: what it gives a container that outlives its command (a monitor holding
 * its exit code and streams) is undone by the removal. What other commands see is kept: the
 * record gets the pid (`ps`, `exec`, `kill`), the output goes to the log as it comes (`logs`),
 * and the exit file is written (`wait`).
 */
export async function runAndRemoveContainer(parts: EngineParts, c: EngineContainer, options: RunAndRemoveOptions, remove: (c: EngineContainer) => Promise<void>): Promise<ForegroundRun> {
  const bundle = parts.layout.bundle(c.id);
  const pidFile = join(bundle, 'pid');
  let log: CriLogWriter;
  try {
    // where `wait` of another command watches for the exit file
    mkdirSync(parts.layout.exitDir, { recursive: true });
    log = new CriLogWriter(parts.layout.log(c.id));
  } catch (e) {
    await remove(c);
    throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
  }
  const running = parts.runc.run(c.id, {
    bundle,
    pidFile,
    io: { stdout: 'pipe', stderr: 'pipe' },
    newSession: true,
    onOutput: (stream, chunk) => {
      log.write(stream, chunk);
      options.onOutput(stream, chunk);
    },
  });
  // only what other commands show depends on it: the run goes on when it cannot be written
  const recorded = recordPid(parts, c, pidFile, running).catch(() => undefined);
  const exited = (async () => {
    try {
      const { exitCode } = await running;
      markPhase('runc run done');
      writeFileSync(join(parts.layout.exitDir, c.id), String(exitCode));
      return exitCode;
    } catch (e) {
      // runc run deletes what it made when it fails, unless it was killed
      await parts.runc.delete(c.id, { force: true }).catch(() => undefined);
      throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
    } finally {
      log.close();
      await recorded;
      // runc run deleted the runtime's container: the record without a pid makes the removal skip `runc delete`
      await remove(c);
    }
  })();
  return { container: c, kill: (signal) => signalContainer(parts, c, { signal }), exited };
}

/**
 * Writes the record with the container's pid, and this process as the one that reports its
 * exit, once runc wrote its pid file; nothing when the run ends first.
 */
async function recordPid(parts: EngineParts, c: EngineContainer, pidFile: string, running: Promise<unknown>): Promise<void> {
  let ended = false;
  let wake: () => void = () => undefined;
  void running.catch(() => undefined).finally(() => {
    ended = true;
    wake();
  });
  const watcher = watch(parts.layout.bundle(c.id), () => wake());
  watcher.on('error', () => undefined);
  try {
    for (;;) {
      if (ended) return;
      const pid = readPid(pidFile);
      if (pid !== undefined) {
        await parts.records.write({ ...c, pid, conmonPid: process.pid, startedAt: new Date().toISOString() });
        markPhase('record of the start written');
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    watcher.close();
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
