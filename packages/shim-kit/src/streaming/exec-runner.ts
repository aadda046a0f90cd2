import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/** What a client asked to run, as CRI's ExecRequest carries it (non-tty only for now). */
export interface ExecRequest {
  containerId: string;
  cmd: readonly string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The client's streams for one exec; absent when the request did not ask for them. */
export interface ExecStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/**
 * Runs one exec: wires the streams to the command and resolves with its exit code once the command
 * exited and its output was written. `signal` aborts when the client went away.
 */
export type ExecRunner = (request: ExecRequest, streams: ExecStreams, signal: AbortSignal) => Promise<number>;

/**
 * An {@link ExecRunner} that runs a local process, with the argv `toArgv` builds for the request
 * (e.g. `runc exec <id> <cmd...>`). Killed with SIGKILL if the client goes away.
 * An exit by signal reports 128 + the signal number, as shells do.
 */
export function processExecRunner(toArgv: (request: ExecRequest) => readonly string[]): ExecRunner {
  return (request, streams, signal) =>
    new Promise<number>((resolve, reject) => {
      const [file, ...args] = toArgv(request);
      if (file === undefined) return reject(new Error('exec command is empty'));
      const child = spawn(file, args, {
        stdio: [streams.stdin ? 'pipe' : 'ignore', streams.stdout ? 'pipe' : 'ignore', streams.stderr ? 'pipe' : 'ignore'],
        signal,
        killSignal: 'SIGKILL',
      });
      // An abort kills the child and reports AbortError; its exit (by SIGKILL) is still what resolves.
      child.on('error', (e) => {
        if (e.name !== 'AbortError') reject(e);
      });
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
      child.once('close', (code, sig) => {
        if (streams.stdin && child.stdin) streams.stdin.unpipe(child.stdin);
        const exitCode = code ?? 128 + (sig === null ? 0 : constants.signals[sig]);
        void Promise.all(outputs).then(() => resolve(exitCode));
      });
    });
}
