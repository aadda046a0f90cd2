import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'shimkit';

const NODE_FLAGS = ['--no-warnings'];

/** The command that starts a runner: the built JavaScript, or the TypeScript source through tsx (tests). */
function runnerCommand(): string[] {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return [...NODE_FLAGS, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./runner/wasm-runner.ts', here))];
  return [...NODE_FLAGS, fileURLToPath(new URL('./runner/wasm-runner.js', here))];
}

/**
 * Runners started ahead of need: each waits in a session of its own for a container's config path
 * on its pipe (fd 3), so a start does not wait for Node to boot. A runner taken is replaced; one
 * whose pipe closes (the pool closed, the shim died) ends by itself.
 */
export class RunnerPool {
  readonly #size: number;
  readonly #logger: Logger | undefined;
  readonly #idle: ChildProcess[] = [];
  #closed = false;

  constructor(options: { size: number; logger?: Logger | undefined }) {
    this.#size = options.size;
    this.#logger = options.logger;
  }

  /** An idle runner (another one starts in its place), or a new one when none is waiting. */
  take(): ChildProcess {
    let child: ChildProcess | undefined;
    while (child === undefined && this.#idle.length > 0) {
      const candidate = this.#idle.shift()!;
      if (candidate.exitCode === null && candidate.signalCode === null) child = candidate;
    }
    child ??= this.#spawn();
    setImmediate(() => this.fill());
    return child;
  }

  /** Starts runners until `size` wait. */
  fill(): void {
    while (!this.#closed && this.#idle.length < this.#size) {
      const child = this.#spawn();
      child.once('exit', () => {
        const at = this.#idle.indexOf(child);
        if (at !== -1) this.#idle.splice(at, 1);
      });
      this.#idle.push(child);
    }
  }

  /** Closes the idle runners' pipes (they end); runners taken are not the pool's any more. */
  close(): void {
    this.#closed = true;
    for (const child of this.#idle.splice(0)) (child.stdio[3] as Writable | null)?.destroy();
  }

  /** A runner that keeps no reference on this process's event loop. */
  #spawn(): ChildProcess {
    const child = spawn(process.execPath, runnerCommand(), { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    child.on('error', (e) => this.#logger?.warn('wasm backend: a runner could not be started', { error: String(e) }));
    child.unref();
    const channel = child.stdio[3] as Writable & { unref(): void };
    // a runner that died leaves a broken pipe: the start waiting on it reports that, nothing else should
    channel.on('error', () => undefined);
    channel.unref();
    return child;
  }
}

/** The first line a runner writes on fd 3: `ready` or `error <why>`; what happened instead otherwise. */
export function readyLine(child: ChildProcess, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const pipe = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    let text = '';
    const done = (line: string): void => {
      signal.removeEventListener('abort', onAbort);
      (pipe as { destroy?: () => void } | null | undefined)?.destroy?.();
      resolve(line);
    };
    const onAbort = (): void => done(`no answer from the runner: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`);
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => done(`error the runner could not be started: ${e.message}`));
    pipe?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline !== -1) done(text.slice(0, newline));
    });
    pipe?.on('end', () => done(text === '' ? 'error the runner ended before it was ready' : text.trim()));
    pipe?.on('error', (e) => done(`error the pipe to the runner broke: ${e.message}`));
  });
}
