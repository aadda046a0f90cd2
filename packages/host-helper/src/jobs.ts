import type { Field } from './frames.js';

/** Where a job's stdout or stderr goes: /dev/null, captured (16 MiB kept), or appended to a file. */
export type RunnerOutput = 'ignore' | 'pipe' | { append: string };

/**
 * One extra fd (3, 4, ...) of a job: `'line'` captures the first line the program (or a child it
 * leaves behind) writes there; bytes are written to the pipe for it to read, then it is closed;
 * a promise holds its pipe open and empty until it resolves (then its bytes are written and the
 * pipe closed; a rejection kills the program instead). A program with a held fd dies with the
 * helper, and is killed when the helper's owner closes it.
 */
export type ExtraFd = 'line' | string | Buffer | Promise<string | Buffer>;

/** One program to run to its end. */
export interface RunnerJob {
  argv: readonly string[];
  /** Set over this process's environment (as it was when the helper started). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Written to the program's stdin, which is then closed (default: /dev/null). */
  stdin?: string | Buffer;
  stdout?: RunnerOutput;
  stderr?: RunnerOutput;
  extraFds?: readonly ExtraFd[];
  /** Kills the program (SIGKILL) and stops waiting for its output. */
  signal?: AbortSignal;
}

/** How a job ended. */
export interface RunnerResult {
  /** null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The line read from each `'line'` fd (without the newline), '' when none came. */
  lines: string[];
}

const list = (items: readonly string[]): string => items.join('\0');

export function envField(env: Readonly<Record<string, string>> | undefined): string {
  return list(Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`));
}

function output(target: RunnerOutput | undefined): Field {
  if (target === undefined || target === 'ignore') return 'n';
  if (target === 'pipe') return 'p';
  return `f${target.append}`;
}

function bytes(tag: string, data: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(tag), Buffer.from(data)]);
}

/** The fields of a `run` request after its id. */
export function runFields(job: RunnerJob): Field[] {
  const extra = (job.extraFds ?? []).map((f): Field => (f === 'line' ? 'l' : f instanceof Promise ? 'h' : bytes('d', f)));
  return [
    list(job.argv),
    envField(job.env),
    job.cwd ?? '',
    job.stdin === undefined ? 'n' : bytes('d', job.stdin),
    output(job.stdout),
    output(job.stderr),
    ...extra,
  ];
}
