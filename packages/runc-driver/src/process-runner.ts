import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { PROCESS_RUNNER_SCRIPT } from './process-runner-script.js';

/** Where a job's stdout or stderr goes: /dev/null, captured, or appended to a file. */
export type RunnerOutput = 'ignore' | 'pipe' | { append: string };

/** One program to run to its end. */
export interface RunnerJob {
  argv: readonly string[];
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Written to the program's stdin, which is then closed (default: /dev/null). */
  stdin?: string | Buffer;
  stdout?: RunnerOutput;
  stderr?: RunnerOutput;
  /**
   * Pipes on fd 3, 4, ...: `'line'` captures the first line the program (or a child it leaves
   * behind) writes there; bytes are written to the pipe for it to read, then it is closed; a
   * promise holds its pipe open and empty until it resolves (then its bytes are written and the
   * pipe closed; a rejection kills the program instead).
   */
  extraFds?: readonly ExtraFd[];
  /** Kills the program (SIGKILL) and stops waiting for its output. */
  signal?: AbortSignal;
}

/** One extra fd of a {@link RunnerJob}. */
export type ExtraFd = 'line' | string | Buffer | Promise<string | Buffer>;

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

/** The program of a job could not be started; `code` is the errno name (`ENOENT`, `EACCES` ...). */
export class RunnerSpawnError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'RunnerSpawnError';
  }
}

interface Pending {
  job: RunnerJob;
  resolve: (r: RunnerResult) => void;
  reject: (e: Error) => void;
  lineFds: number;
}

/** One runner process and the jobs it has not answered yet. */
interface Runner {
  process: ChildProcessByStdio<Writable, Readable, null>;
  pending: Map<string, Pending>;
  buffer: string;
}

/** dup3(2) and prctl(2) numbers of the Linux system call tables the runner knows (elsewhere jobs are spawned). */
const SYSCALLS: Partial<Record<NodeJS.Architecture, { dup3: number; prctl: number }>> = {
  x64: { dup3: 292, prctl: 157 },
  arm64: { dup3: 24, prctl: 167 },
  riscv64: { dup3: 24, prctl: 167 },
};

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

const hex = (value: string | Buffer): string => (value.length === 0 ? '-' : Buffer.from(value).toString('hex'));
const unhex = (text: string): Buffer => (text === '-' ? Buffer.alloc(0) : Buffer.from(text, 'hex'));

/**
 * Runs programs to their end through one long-lived Perl child (perl-base is essential on
 * Debian) that forks and execs them. Node's spawn forks this whole large process and waits,
 * with the event loop stopped, until the child has exec'd: about two milliseconds per runtime
 * call at a shim's size. The runner, a small process, does the fork instead, and the event loop
 * goes on. Jobs run concurrently and are answered as they end. Where no runner can start (no
 * perl, or an architecture whose system call numbers it does not know), jobs run through
 * Node's spawn with the same semantics; a runner that dies fails the jobs it had (their
 * programs may have run) and the next job starts a new one.
 */
export class ProcessRunner {
  #runner: Runner | undefined;
  #perlMissing = false;
  #next = 0;

  constructor(private readonly perl = 'perl') {}

  run(job: RunnerJob): Promise<RunnerResult> {
    if (job.signal?.aborted) return Promise.reject(job.signal.reason as Error);
    if (!this.holdsSafely) return spawnJob(job);
    const runner = this.#start();
    const id = String(++this.#next);
    const lineFds = (job.extraFds ?? []).filter((f) => f === 'line').length;
    return new Promise<RunnerResult>((resolve, reject) => {
      const onAbort = (): void => void runner.process.stdin.write(`kill ${id} ${constants.signals.SIGKILL}\n`);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(fn: (v: T) => void) => (v: T): void => {
        job.signal?.removeEventListener('abort', onAbort);
        if (runner.pending.size === 0) unrefRunner(runner);
        fn(v);
      };
      runner.pending.set(id, { job, resolve: settle(resolve), reject: settle(reject), lineFds });
      refRunner(runner);
      runner.process.stdin.write(`run ${id} ${request(job)}\n`);
      job.extraFds?.forEach((fd, i) => {
        if (!(fd instanceof Promise)) return;
        fd.then(
          (data) => runner.pending.has(id) && runner.process.stdin.write(`feed ${id} ${3 + i} ${hex(data)}\n`),
          () => runner.pending.has(id) && onAbort(),
        );
      });
    });
  }

  /**
   * True when jobs go through the Perl runner (not spawn), where a program waiting on a held fd
   * dies with the runner; through spawn it would read an end of file once this process died.
   */
  get holdsSafely(): boolean {
    return !this.#perlMissing && SYSCALLS[process.arch] !== undefined;
  }

  /** pid of the runner process while one runs. */
  get pid(): number | undefined {
    return this.#runner?.process.pid;
  }

  /** Ends the runner once its jobs are answered; a later job starts a new one. */
  close(): void {
    this.#runner?.process.stdin.end();
    this.#runner = undefined;
  }

  #start(): Runner {
    if (this.#runner !== undefined) return this.#runner;
    const child = spawn(this.perl, ['-e', PROCESS_RUNNER_SCRIPT, String(SYSCALLS[process.arch]?.dup3), String(SYSCALLS[process.arch]?.prctl)], { stdio: ['pipe', 'pipe', 'ignore'] }) as ChildProcessByStdio<Writable, Readable, null>;
    const runner: Runner = { process: child, pending: new Map(), buffer: '' };
    this.#runner = runner;
    unrefRunner(runner);
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => answer(runner, text));
    const fail = (e: NodeJS.ErrnoException): void => {
      if (this.#runner === runner) this.#runner = undefined;
      const pending = [...runner.pending.values()];
      runner.pending.clear();
      if (e.code === 'ENOENT') {
        // no perl: nothing ran yet, so the jobs go to spawn
        this.#perlMissing = true;
        for (const p of pending) spawnJob(p.job).then(p.resolve, p.reject);
      } else {
        for (const p of pending) p.reject(e);
      }
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`the process runner exited (${signal ?? `code ${code}`})`)));
    return runner;
  }
}

/** An idle runner keeps neither this process alive nor its pipes referenced. */
function unrefRunner(runner: Runner): void {
  runner.process.unref();
  (runner.process.stdin as unknown as Socket).unref();
  (runner.process.stdout as unknown as Socket).unref();
}

function refRunner(runner: Runner): void {
  runner.process.ref();
  (runner.process.stdout as unknown as Socket).ref();
}

function output(target: RunnerOutput | undefined): string {
  if (target === undefined || target === 'ignore') return 'n';
  if (target === 'pipe') return 'p';
  return `f${hex(target.append)}`;
}

function request(job: RunnerJob): string {
  const env = Object.entries(job.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const fds = job.extraFds?.length ? job.extraFds.map((f) => (f === 'line' ? 'l' : f instanceof Promise ? 'h' : `d${hex(f)}`)).join(',') : '-';
  return [
    hex(job.argv.join('\0')),
    env.length ? hex(env.join('\0')) : '-',
    job.cwd === undefined ? '-' : hex(job.cwd),
    job.stdin === undefined ? '-' : hex(job.stdin),
    output(job.stdout),
    output(job.stderr),
    fds,
  ].join(' ');
}

/** Settles the jobs answered by the complete lines in `text`. */
function answer(runner: Runner, text: string): void {
  runner.buffer += text;
  let nl: number;
  while ((nl = runner.buffer.indexOf('\n')) >= 0) {
    const [id = '', kind, ...fields] = runner.buffer.slice(0, nl).split(' ');
    runner.buffer = runner.buffer.slice(nl + 1);
    const pending = runner.pending.get(id);
    if (pending === undefined) continue;
    runner.pending.delete(id);
    if (kind === 'spawn') {
      const errno = Number(fields[0]);
      pending.reject(new RunnerSpawnError(unhex(fields[1] ?? '-').toString(), ERRNO_NAMES.get(-errno) ?? ERRNO_NAMES.get(errno) ?? `errno ${errno}`));
      continue;
    }
    const [code = '-1', signal = '0', stdout = '-', stderr = '-', lines = '-'] = fields;
    pending.resolve({
      exitCode: code === '-1' ? null : Number(code),
      signal: signal === '0' ? null : (SIGNAL_NAMES.get(Number(signal)) ?? null),
      stdout: unhex(stdout),
      stderr: unhex(stderr),
      lines: pending.lineFds === 0 ? [] : lines.split(',').map((l) => unhex(l).toString()),
    });
  }
}

/**
 * Runs a job through Node's spawn, with a runner's semantics: what {@link ProcessRunner} does
 * where no runner can start, and for callers that keep no runner.
 */
export function spawnJob(job: RunnerJob): Promise<RunnerResult> {
  const extra = job.extraFds ?? [];
  const files: number[] = [];
  const stdioOf = (t: RunnerOutput | undefined): 'ignore' | 'pipe' | number => {
    if (t === 'pipe') return 'pipe';
    if (t === undefined || t === 'ignore') return 'ignore';
    files.push(openSync(t.append, 'a'));
    return files[files.length - 1] as number;
  };
  return new Promise((resolve, reject) => {
    const [command = '', ...args] = job.argv;
    let child;
    try {
      child = spawn(command, args, {
        ...(job.cwd === undefined ? {} : { cwd: job.cwd }),
        env: { ...process.env, ...job.env },
        stdio: [job.stdin === undefined ? 'ignore' : 'pipe', stdioOf(job.stdout), stdioOf(job.stderr), ...extra.map(() => 'pipe' as const)],
      });
    } finally {
      for (const fd of files) closeSync(fd);
    }
    const onAbort = (): void => {
      child.kill('SIGKILL');
      for (const s of child.stdio) s?.destroy();
    };
    job.signal?.addEventListener('abort', onAbort, { once: true });
    const stdout = collectAll(child.stdout);
    const stderr = collectAll(child.stderr);
    child.stdin?.on('error', () => undefined);
    if (job.stdin !== undefined) child.stdin?.end(job.stdin);
    const lines: Promise<string>[] = [];
    extra.forEach((fd, i) => {
      const stream = child.stdio[3 + i] as Readable & Writable;
      stream.on('error', () => undefined);
      if (fd === 'line') lines.push(firstLine(stream));
      else if (fd instanceof Promise) fd.then((data) => stream.end(data), onAbort);
      else stream.end(fd);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      job.signal?.removeEventListener('abort', onAbort);
      reject(new RunnerSpawnError(`exec ${command}: ${e.message}`, e.code ?? 'UNKNOWN'));
    });
    child.once('exit', (exitCode, signal) => {
      void Promise.all([stdout, stderr, Promise.all(lines)]).then(([out, err, read]) => {
        job.signal?.removeEventListener('abort', onAbort);
        resolve({ exitCode, signal, stdout: out, stderr: err, lines: read });
      });
    });
  });
}

function collectAll(stream: Readable | null): Promise<Buffer> {
  if (stream === null) return Promise.resolve(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.once('close', () => resolve(Buffer.concat(chunks))));
}

/** The first line written to `stream` ('' at EOF without one); the stream is closed after it. */
function firstLine(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      stream.destroy();
      resolve(text.split('\n')[0] ?? '');
    };
    stream.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) done();
    });
    stream.once('close', done);
  });
}
