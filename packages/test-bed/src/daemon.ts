import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { TestBedError } from './errors.js';

// Daemons still running when this process exits are killed, so a crashed test
// run does not leave a registry or containerd behind (shims and containers of a
// killed containerd are for sweepOrphans).
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** A long-running child process whose output goes to a log file. */
export class Daemon {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Set once the process has exited: a description like "exit code 1". */
  exitReason: string | undefined;
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, logFile: string) {
    this.child = child;
    this.logFile = logFile;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitReason = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once('error', (err) => {
        this.exitReason = err.message;
        resolve();
      });
    });
  }

  /** Starts `file args`, appending its stdout and stderr to `logFile`. */
  static async start(file: string, args: readonly string[], logFile: string): Promise<Daemon> {
    const log = await open(logFile, 'a');
    try {
      // Own process group: a Ctrl-C on the terminal reaches only us, and close() decides the order of teardown.
      const child = spawn(file, args, { stdio: ['ignore', log.fd, log.fd], detached: true });
      const daemon = new Daemon(child, logFile);
      track(child);
      // Surface a spawn failure (ENOENT) right away.
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err: NodeJS.ErrnoException) =>
          reject(new TestBedError(err.code === 'ENOENT' ? 'BINARY_MISSING' : 'START_FAILED', `${file}: ${err.message}`, { cause: err })),
        );
      });
      return daemon;
    } finally {
      await log.close();
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines of the log, for error messages. */
  async tail(lines = 20): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exitReason !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
