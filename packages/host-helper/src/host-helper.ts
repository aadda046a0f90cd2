import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DatagramReceiver } from './datagram-receiver.js';
import { HostHelperError, RunnerSpawnError, SystemCallError } from './errors.js';
import { encodeFrame, FrameReader, type Field } from './frames.js';
import { envField, runFields, type RunnerJob, type RunnerResult } from './jobs.js';

/** Options of {@link HostHelper}. */
export interface HostHelperOptions {
  /** The helper program (default: `$SHIMKIT_HELPER`, else the one this package built). */
  binary?: string;
}

/** A program on a terminal of its own (see {@link HostHelper.terminal}). */
export interface TerminalJob {
  /** The terminal: what the program writes, and its keyboard. */
  readonly terminal: Socket;
  /** Settles when the program has ended. */
  readonly exited: Promise<RunnerResult>;
  resize(rows: number, cols: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/** One range of a user namespace's id mapping: `length` ids from `containerId` inside are `hostId`... outside. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  length: number;
}

/** What {@link HostHelper.pinNamespaces} makes. */
export interface PinRequest {
  /** File to bind-mount a new IPC namespace on. */
  ipc?: string;
  /** File to bind-mount a new UTS namespace on, and its hostname. */
  uts?: { path: string; hostname: string };
  /** File to bind-mount a new network namespace on. */
  net?: string;
  /** An existing network namespace to enter for `/proc/sys/net` files (when `net` is not given). */
  netns?: string;
  /** File to bind-mount a new user namespace on, with its mappings; the other new namespaces belong to it. */
  user?: { path: string; uidMappings: readonly IdMapping[]; gidMappings: readonly IdMapping[] };
  /** An existing user namespace the new namespaces belong to (when `user` is not given). */
  userns?: string;
  /** `/proc/sys` files and their values, written inside the namespaces. */
  sysctls?: readonly (readonly [string, string])[];
}

/** Where a request's answers go: each answer of the helper, or the helper's own failure. */
interface Pending {
  answer(kind: string, fields: Buffer[]): void;
  fail(e: Error): void;
}

interface Connection {
  process: ChildProcessByStdio<Writable, Readable, Readable>;
  pending: Map<string, Pending>;
  /** The abstract socket streams are claimed on. */
  streams: Promise<string>;
  stderr: string;
  /** Set by close(), which holds the program (keeps the process referenced) until the helper ends. */
  closing?: boolean;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** The helper this package builds (`dist/shimkit-helper`), from `src` or `dist` alike. */
export function builtHelperPath(): string {
  return fileURLToPath(new URL('../dist/shimkit-helper', import.meta.url));
}

/**
 * The system calls Node cannot make, through one small helper process of our own (C, in
 * `src/native`): running programs without forking this large process, mount(2) and friends,
 * mknod(2), xattrs, pinned namespaces, terminals, and connections inside other network
 * namespaces or to SEQPACKET sockets. One helper serves a whole shim; requests run
 * concurrently. The helper starts on first use and stays out of the way while idle (it keeps
 * nothing alive); if it dies, what it had not answered fails with `HELPER_DIED` and the next
 * call starts a new one. `close()` ends it: programs waiting on a held fd are killed, others
 * run to their end.
 */
export class HostHelper {
  readonly binary: string;
  #connection: Connection | undefined;
  #next = 0;

  constructor(options: HostHelperOptions = {}) {
    this.binary = options.binary ?? process.env['SHIMKIT_HELPER'] ?? builtHelperPath();
  }

  /** pid of the helper while one runs. */
  get pid(): number | undefined {
    return this.#connection?.process.pid;
  }

  /** Runs a program to its end. Rejects with a RunnerSpawnError when it cannot be started. */
  run(job: RunnerJob): Promise<RunnerResult> {
    if (job.signal?.aborted) return Promise.reject(job.signal.reason as Error);
    return new Promise((resolve, reject) => {
      const lineCount = (job.extraFds ?? []).filter((f) => f === 'line').length;
      const onAbort = (): void => this.#send(['kill', this.#id(), id, String(constants.signals.SIGKILL)]);
      const id = this.#request(['run', '', ...runFields(job)], (kind, fields) => {
        job.signal?.removeEventListener('abort', onAbort);
        if (kind === 'exit') resolve(exitResult(fields, lineCount));
        else reject(spawnError(job.argv[0] ?? '', fields));
        return true;
      }, reject);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      job.extraFds?.forEach((fd, i) => {
        if (!(fd instanceof Promise)) return;
        fd.then(
          (data) => this.#send(['feed', this.#id(), id, String(3 + i), Buffer.from(data)]),
          onAbort,
        );
      });
    });
  }

  /**
   * Runs a program on a new terminal (`rows` x `cols`, raw, its controlling terminal in a
   * session of its own), as a shell's user would run it.
   */
  terminal(job: Pick<RunnerJob, 'argv' | 'env' | 'cwd'> & { rows?: number; cols?: number }): Promise<TerminalJob> {
    return this.#terminalJob(job.argv, ['pty', '', job.argv.join('\0'), envField(job.env), job.cwd ?? '', String(job.rows ?? 24), String(job.cols ?? 80)]);
  }

  /**
   * Runs an OCI runtime that makes a terminal itself and hands it over a console socket, then
   * exits (`runc exec --detach --console-socket <socket> --pid-file <pidFile>`): the helper
   * listens on `socket`, sizes the terminal it receives, and then follows the process the
   * runtime wrote to `pidFile` (its child once the runtime has gone: the helper is a
   * subreaper), whose end is `exited`. A runtime that fails before it hands over a terminal
   * rejects with its stderr, one that fails after it (the process could not start) rejects
   * `exited` with it. The terminal is the container's own: its output settings hold from
   * the first byte, with no second terminal between.
   */
  consoleTerminal(job: Pick<RunnerJob, 'argv' | 'env' | 'cwd'> & { socket: string; pidFile: string; rows?: number; cols?: number }): Promise<TerminalJob> {
    return this.#terminalJob(job.argv, ['console', '', job.argv.join('\0'), envField(job.env), job.cwd ?? '', job.socket, job.pidFile, String(job.rows ?? 24), String(job.cols ?? 80)]);
  }

  async #terminalJob(argv: readonly string[], request: string[]): Promise<TerminalJob> {
    let settleExit!: { resolve: (r: RunnerResult) => void; reject: (e: Error) => void };
    const exited = new Promise<RunnerResult>((resolve, reject) => (settleExit = { resolve, reject }));
    exited.catch(() => undefined);
    let id = '';
    const token = await new Promise<Buffer>((resolve, reject) => {
      id = this.#request(request, (kind, fields) => {
        if (kind === 'stream') {
          resolve(fields[0] as Buffer);
          return false;
        }
        if (kind === 'exit') settleExit.resolve(exitResult(fields, 0));
        else {
          // before the terminal: the program did not start; after it: a runtime that failed
          const error = spawnError(argv[0] ?? '', fields);
          reject(error);
          settleExit.reject(error);
        }
        return true;
      }, (e) => {
        reject(e);
        settleExit.reject(e);
      });
    });
    const terminal = await this.#claim(token);
    return {
      terminal,
      exited,
      resize: (rows, cols) => this.#call(['resize', '', id, String(rows), String(cols)], 'resize'),
      kill: (signal = 'SIGKILL') => this.#send(['kill', this.#id(), id, String(constants.signals[signal])]),
    };
  }

  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
    return this.#call(['mount', '', source, target, fstype, String(flags), data], `mount ${fstype} on ${target}`);
  }

  unmount(target: string, flags = 0): Promise<void> {
    return this.#call(['umount', '', target, String(flags)], `umount ${target}`);
  }

  /** mknod(2) with `mode` applied exactly (its file type bits included, no umask). */
  mknod(path: string, mode: number, major = 0, minor = 0): Promise<void> {
    return this.#call(['mknod', '', path, String(mode), String(major), String(minor)], `mknod ${path}`);
  }

  /** Sets an extended attribute on `path` itself (never on a symlink's target). */
  setXattr(path: string, name: string, value: Buffer): Promise<void> {
    return this.#call(['setxattr', '', path, name, value], `setxattr ${name} on ${path}`);
  }

  /** An extended attribute of `path` itself (never of a symlink's target); null when it has none of that name (ENODATA). */
  getXattr(path: string, name: string): Promise<Buffer | null> {
    const what = `getxattr ${name} on ${path}`;
    return new Promise((resolve, reject) => {
      this.#request(['getxattr', '', path, name], (kind, rest) => {
        if (kind === 'value') resolve(Buffer.from(rest[0] ?? Buffer.alloc(0)));
        else {
          const error = callError(what, rest);
          if (error.code === 'ENODATA') resolve(null);
          else reject(error);
        }
        return true;
      }, reject);
    });
  }

  /** The names of the extended attributes of `path` itself (never of a symlink's target). */
  listXattrs(path: string): Promise<string[]> {
    const what = `listxattr on ${path}`;
    return new Promise((resolve, reject) => {
      this.#request(['listxattr', '', path], (kind, rest) => {
        if (kind === 'names') resolve(rest.map((name) => name.toString('utf8')));
        else reject(callError(what, rest));
        return true;
      }, reject);
    });
  }

  /** New namespaces held by bind mounts on files (CRI-O's pinns), set up inside. The files must exist. */
  pinNamespaces(request: PinRequest): Promise<void> {
    const map = (mappings: readonly IdMapping[]): string => mappings.map((m) => `${m.containerId} ${m.hostId} ${m.length}\n`).join('');
    const pairs: [string, string | undefined][] = [
      ['ipc', request.ipc],
      ['uts', request.uts?.path],
      ['hostname', request.uts?.hostname],
      ['net', request.net],
      ['netns', request.netns],
      ['user', request.user?.path],
      ['uidmap', request.user && map(request.user.uidMappings)],
      ['gidmap', request.user && map(request.user.gidMappings)],
      ['userns', request.userns],
    ];
    const fields = pairs.flatMap(([key, value]) => (value === undefined ? [] : [key, value]));
    const sysctls = (request.sysctls ?? []).flatMap(([path, value]) => ['sysctl', path, value]);
    return this.#call(['pin', '', ...fields, ...sysctls], 'pinning namespaces');
  }

  /**
   * Mounts a copy of the mount at `source` (with those below it when `recursive`) on `target`,
   * its ids mapped through the user namespace at `userns` (an idmapped mount).
   */
  idmapMount(source: string, target: string, userns: string, options: { recursive?: boolean } = {}): Promise<void> {
    return this.#call(['idmap', '', source, target, userns, options.recursive ? '1' : '0'], `idmapped mount of ${source} on ${target}`);
  }

  /** A TCP connection to `host:port` made inside the network namespace at `netns`. */
  async connect(netns: string, host: string, port: number, signal?: AbortSignal): Promise<Socket> {
    signal?.throwIfAborted();
    const token = await this.#offer(['connect', '', netns, host, String(port)], `connecting to ${host}:${port} in ${netns}`, signal);
    return this.#claim(token);
  }

  /**
   * A connection to the SOCK_SEQPACKET socket at `path`. Each packet the peer sends, a stream
   * byte and data, is read as that byte, a u32 big-endian length and the data; what is written
   * goes out in packets of at most 8 KiB, and ending it shuts down the sending side.
   */
  async connectSeqpacket(path: string): Promise<Socket> {
    return this.#claim(await this.#offer(['seqpacket', '', path], `connecting to ${path}`));
  }

  /**
   * Sends `message` as one datagram to the unix datagram socket at `path` (`@name`: abstract),
   * with this process's pid as the sender's credentials where allowed (as sd_pid_notify does):
   * systemd's readiness protocol at `$NOTIFY_SOCKET`.
   */
  sendDatagram(path: string, message: string | Buffer): Promise<void> {
    return this.#call(['notify', '', path, message], `sending to ${path}`);
  }

  /** Binds a unix datagram socket at `path` (`@name`: abstract) and receives what is sent to it, with each sender's pid. */
  async receiveDatagrams(path: string): Promise<DatagramReceiver> {
    return new DatagramReceiver(path, await this.#claim(await this.#offer(['datagrams', '', path], `binding ${path}`)));
  }

  /**
   * Ends the helper: programs waiting on a held pipe are killed, terminals hung up, and it exits
   * once the rest have ended. Resolves then, or after `timeoutMs` (a program that ignores its
   * hang-up could run for ever; the helper still exits after it). A later call starts a new one.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined || connection.process.exitCode !== null || connection.process.signalCode !== null) return Promise.resolve();
    connection.process.stdin.end();
    // An idle helper is unreferenced; awaiting its end must hold the program until then.
    connection.closing = true;
    referenced(connection, true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        referenced(connection, false);
        resolve();
      };
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(done, options.timeoutMs);
      timer?.unref();
      connection.process.once('close', done);
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #id(): string {
    return String(++this.#next);
  }

  #send(fields: Field[]): void {
    this.#start().process.stdin.write(encodeFrame(fields));
  }

  /**
   * Sends a request (its id filled in) and routes its answers to `onAnswer` until that returns
   * true; `onFail` gets the helper's own failure.
   */
  #request(fields: Field[], onAnswer: (kind: string, fields: Buffer[]) => boolean, onFail: (e: Error) => void): string {
    const connection = this.#start();
    const id = this.#id();
    fields[1] = id;
    connection.pending.set(id, {
      answer: (kind, rest) => {
        if (onAnswer(kind, rest)) this.#forget(connection, id);
      },
      fail: onFail,
    });
    if (connection.pending.size === 1) referenced(connection, true);
    connection.process.stdin.write(encodeFrame(fields));
    return id;
  }

  #forget(connection: Connection, id: string): void {
    connection.pending.delete(id);
    if (connection.pending.size === 0 && connection.closing !== true) referenced(connection, false);
  }

  #call(fields: Field[], what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#request(fields, (kind, rest) => {
        if (kind === 'ok') resolve();
        else reject(callError(what, rest));
        return true;
      }, reject);
    });
  }

  #offer(fields: Field[], what: string, signal?: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#send(['kill', this.#id(), id, '9']);
        const connection = this.#connection;
        if (connection !== undefined) this.#forget(connection, id);
        reject(signal?.reason as Error);
      };
      const id = this.#request(fields, (kind, rest) => {
        signal?.removeEventListener('abort', onAbort);
        if (kind === 'stream') resolve(rest[0] as Buffer);
        else reject(callError(what, rest));
        return true;
      }, reject);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async #claim(token: Buffer): Promise<Socket> {
    const connection = this.#start();
    const name = await connection.streams;
    return new Promise((resolve, reject) => {
      const socket = connect({ path: `\0${name}` }, () => {
        socket.off('error', reject);
        // the far side of a relay can end at any time (a program exits, a peer resets): the
        // stream then closes; it is not an error for the process
        socket.on('error', () => undefined);
        socket.write(token);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  #start(): Connection {
    if (this.#connection !== undefined) return this.#connection;
    if (!existsSync(this.binary)) {
      throw new HostHelperError('HELPER_MISSING', `the host helper ${this.binary} is missing: build it with \`npm rebuild @shimkit/host-helper\` where it is installed, \`npm run build\` in its repository (it needs a C compiler, Debian's gcc)`);
    }
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessByStdio<Writable, Readable, Readable>;
    let announce!: (name: string) => void;
    const connection: Connection = { process: child, pending: new Map(), streams: new Promise((r) => (announce = r)), stderr: '' };
    this.#connection = connection;
    referenced(connection, false);
    const reader = new FrameReader();
    child.stdout.on('data', (chunk: Buffer) => {
      for (const [id, kind, ...rest] of reader.push(chunk)) {
        if (String(kind) === 'hello') announce(String(rest[0]));
        else connection.pending.get(String(id))?.answer(String(kind), rest);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (connection.stderr = (connection.stderr + text).slice(-2000)));
    child.stdin.on('error', () => undefined);
    const fail = (e: Error): void => {
      if (this.#connection === connection) this.#connection = undefined;
      const waiting = [...connection.pending.values()];
      connection.pending.clear();
      for (const pending of waiting) pending.fail(e);
    };
    child.once('error', (e) => fail(new HostHelperError('HELPER_MISSING', `cannot start the host helper ${this.binary}: ${e.message}`, { cause: e })));
    child.once('close', (code, signal) => {
      const said = connection.stderr.trim();
      fail(new HostHelperError('HELPER_DIED', `the host helper exited (${signal ?? `code ${code}`})${said ? `: ${said}` : ''}`));
    });
    return connection;
  }
}

/** Waiting for an answer keeps this process alive; an idle helper does not. */
function referenced(connection: Connection, on: boolean): void {
  const { process: child } = connection;
  const streams = [child.stdout, child.stderr, child.stdin] as unknown as Socket[];
  if (on) {
    child.ref();
    for (const s of streams) s.ref();
  } else {
    child.unref();
    for (const s of streams) s.unref();
  }
}

function exitResult(fields: Buffer[], lineCount: number): RunnerResult {
  const [code = '-1', signal = '0', stdout = Buffer.alloc(0), stderr = Buffer.alloc(0), ...lines] = fields;
  return {
    exitCode: String(code) === '-1' ? null : Number(String(code)),
    signal: SIGNAL_NAMES.get(Number(String(signal))) ?? null,
    stdout: Buffer.from(stdout),
    stderr: Buffer.from(stderr),
    lines: lines.slice(0, lineCount).map((l) => l.toString()),
  };
}

function callError(what: string, fields: Buffer[]): SystemCallError {
  const error = new SystemCallError(`${what}: ${String(fields[1] ?? '')}`, Number(String(fields[0] ?? '0')));
  error.message += ` (${error.code})`;
  return error;
}

function spawnError(program: string, fields: Buffer[]): RunnerSpawnError {
  return new RunnerSpawnError(String(fields[1] ?? `exec ${program}`), Number(String(fields[0] ?? '0')));
}
