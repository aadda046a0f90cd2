import type { AttachSession } from '../../interfaces/runtime-backend.js';
import type { ContainerEngine, CreateContainerRequest } from '../../engine/container-engine.js';
import type { EngineContainer } from '../../engine/engine-container.js';
import { markPhase } from '../../engine/phase-marks.js';
import type { EngineCommandIo } from './engine-io.js';

// After the exit, output conmon still relays; then the connection is dropped.
const DRAIN_MS = 2000;

/**
 * Runs a container in the foreground: see {@link followContainer}. `--rm` without `-t` or `-i`
 * runs it as this process's child instead (see {@link ContainerEngine.runAndRemove}).
 */
export async function runForeground(engine: ContainerEngine, request: CreateContainerRequest, io: EngineCommandIo, created: () => Promise<void> | void = () => undefined): Promise<number> {
  if (request.autoRemove && !request.tty && !request.interactive) return runAndRemove(engine, request, io, created);
  const tty = request.tty ?? false;
  const { container, session } = await engine.run(request, { attach: { stdin: request.interactive ?? false, stdout: true, stderr: !tty } }).finally(created);
  return followContainer(engine, container, session, io);
}

/** Relays the container's output, forwards SIGINT/SIGTERM to it (a second one kills it); resolves with its exit code once it was removed. */
async function runAndRemove(engine: ContainerEngine, request: CreateContainerRequest, io: EngineCommandIo, created: () => Promise<void> | void): Promise<number> {
  const run = await engine.runAndRemove(request, { onOutput: (stream, chunk) => (stream === 'stdout' ? io.outBytes(chunk) : io.errBytes(chunk)) }).finally(created);
  const off = forwardSignals(io, (signal) => run.kill(signal));
  try {
    return await run.exited;
  } finally {
    off();
  }
}

/** Forwards the signals `io` gets with `kill`, the second and later ones as SIGKILL; returns the removal. */
function forwardSignals(io: EngineCommandIo, kill: (signal: string) => Promise<unknown>): () => void {
  let signals = 0;
  return io.onSignal((name) => {
    signals += 1;
    void kill(signals > 1 ? 'SIGKILL' : name).catch(() => undefined);
  });
}

/**
 * Relays an attached container's streams to the terminal (raw, and resized with it, for `-t`),
 * forwards SIGINT/SIGTERM to it (a second one kills it), waits for its exit, then removes it
 * (`--rm`) or releases what it held. Resolves with its exit code.
 */
export async function followContainer(engine: ContainerEngine, container: EngineContainer, session: AttachSession | undefined, io: EngineCommandIo, options: { keep?: boolean } = {}): Promise<number> {
  const id = container.id;
  session?.stdout?.on('data', (chunk: Buffer) => io.outBytes(chunk));
  session?.stderr?.on('data', (chunk: Buffer) => io.errBytes(chunk));
  const terminal = container.tty ? io.terminal : undefined;
  const restore: (() => void)[] = [];
  if (terminal && terminal.input.isTTY) {
    terminal.input.setRawMode(true);
    restore.push(() => terminal.input.setRawMode(false));
    const resize = (): void => session?.resize?.({ width: terminal.output.columns, height: terminal.output.rows });
    resize();
    terminal.output.on('resize', resize);
    restore.push(() => terminal.output.off('resize', resize));
  }
  if (container.interactive && session?.stdin) {
    const input = session.stdin;
    input.on('error', () => undefined);
    io.stdin.pipe(input);
    restore.push(() => {
      io.stdin.unpipe(input);
      io.stdin.pause();
      (io.stdin as { unref?: () => void }).unref?.();
    });
  }
  const off = forwardSignals(io, (signal) => engine.kill(id, signal));
  let exitCode: number;
  try {
    exitCode = await engine.wait(id);
    markPhase('exit seen');
    if (session) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([session.ended, new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
      session.detach();
      markPhase('output drained');
    }
  } finally {
    off();
    for (const undo of restore.reverse()) undo();
  }
  if (container.autoRemove && !options.keep) await engine.remove(id, { force: true });
  else await engine.cleanup(id);
  return exitCode;
}
