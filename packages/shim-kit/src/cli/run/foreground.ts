import type { AttachSession } from '../../interfaces/runtime-backend.js';
import type { ContainerEngine, CreateContainerRequest } from '../../engine/container-engine.js';
import type { EngineContainer } from '../../engine/engine-container.js';
import { markPhase } from '../../engine/phase-marks.js';
import type { EngineCommandIo } from './engine-io.js';

// After the exit, output conmon still relays; then the connection is dropped.
const DRAIN_MS = 2000;

/** Runs a container in the foreground: see {@link followContainer}. */
export async function runForeground(engine: ContainerEngine, request: CreateContainerRequest, io: EngineCommandIo, created: () => Promise<void> | void = () => undefined): Promise<number> {
  const tty = request.tty ?? false;
  const { container, session } = await engine.run(request, { attach: { stdin: request.interactive ?? false, stdout: true, stderr: !tty } }).finally(created);
  return followContainer(engine, container, session, io);
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
  let signals = 0;
  const off = io.onSignal((name) => {
    signals += 1;
    void engine.kill(id, signals > 1 ? 'SIGKILL' : name).catch(() => undefined);
  });
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
