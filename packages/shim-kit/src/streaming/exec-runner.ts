import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { relayExec } from './relay-exec.js';

/** What a client asked to run, as CRI's ExecRequest carries it. */
export interface ExecRequest {
  containerId: string;
  cmd: readonly string[];
  /** On a terminal: its output comes on stdout, the client sends sizes on `resize`. */
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The client's streams for one exec or attach; absent when the request did not ask for them. */
export interface ExecStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal sizes as JSON objects (tty only); read with `readTerminalSizes`. */
  resize?: Readable;
}

/**
 * Runs one exec: wires the streams to the command and resolves with its exit code once the command
 * exited and its output was written. `signal` aborts when the client went away.
 */
export type ExecRunner = (request: ExecRequest, streams: ExecStreams, signal: AbortSignal) => Promise<number>;

/**
 * An {@link ExecRunner} that runs a local process, with the argv `toArgv` builds for the request
 * (e.g. `runc exec <id> <cmd...>`), with pipes (no terminal). Killed with SIGKILL if the client goes away.
 * An exit by signal reports 128 + the signal number, as shells do.
 */
export function processExecRunner(toArgv: (request: ExecRequest) => readonly string[]): ExecRunner {
  return async (request, streams, signal) => {
    const [file, ...args] = toArgv(request);
    if (file === undefined) throw new Error('exec command is empty');
    const child = spawn(file, args, {
      stdio: [streams.stdin ? 'pipe' : 'ignore', streams.stdout ? 'pipe' : 'ignore', streams.stderr ? 'pipe' : 'ignore'],
    });
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve(code ?? 128 + (sig === null ? 0 : constants.signals[sig])));
    });
    return relayExec({ stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill: () => void child.kill('SIGKILL') }, streams, signal);
  };
}
