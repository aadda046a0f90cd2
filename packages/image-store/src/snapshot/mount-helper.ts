import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/** mount(2) and umount2(2) numbers of the Linux system call tables the helper knows. */
const SYSCALLS: Partial<Record<NodeJS.Architecture, { mount: number; umount2: number }>> = {
  x64: { mount: 165, umount2: 166 },
  arm64: { mount: 40, umount2: 39 },
  riscv64: { mount: 40, umount2: 39 },
};

/** umount2 flag: detach now, finish when the mount is no longer busy. */
export const MNT_DETACH = 2;

/**
 * Reads one request a line, `mount <source> <target> <fstype> <flags> <data>` or
 * `umount <target> <flags>` with each argument hex-encoded (any byte may appear in a path), makes
 * the system call and answers `0`, or the errno and its message.
 */
const HELPER = String.raw`
use strict;
$| = 1;
my ($sys_mount, $sys_umount2) = @ARGV;
while (my $line = <STDIN>) {
  chomp $line;
  my ($op, @args) = split / /, $line, -1;
  @args = map { pack('H*', $_) } @args;
  my $r = $op eq 'mount' ? syscall($sys_mount, $args[0], $args[1], $args[2], 0 + $args[3], $args[4])
        : $op eq 'umount' ? syscall($sys_umount2, $args[0], 0 + $args[1])
        : do { $! = 22; -1 };
  print $r == 0 ? "0\n" : (0 + $!) . " $!\n";
}
`;

/** A mount or umount2 call the kernel refused (the helper itself failing is a plain Error). */
export class MountCallError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
    this.name = 'MountCallError';
  }
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** One helper process with the calls it has not answered yet, in order, and its unread output. */
interface Helper {
  process: ChildProcessByStdio<Writable, Socket, null>;
  pending: Pending[];
  buffer: string;
}

/**
 * Makes mount(2) and umount2(2) calls through one long-lived Perl child (perl-base is essential on
 * Debian). Node has no binding for them, and forking the large Node process for a mount(8) per
 * call costs a few milliseconds each; the helper answers in a fraction of one. Calls are
 * answered in order. `available` is false where the helper cannot run (no perl, an unknown
 * architecture); callers then use mount(8). When the helper dies, its unanswered calls fail
 * (with a plain Error) and the next call starts a new one.
 */
export class MountHelper {
  #helper: Helper | undefined;
  #broken = false;

  constructor(private readonly perl = 'perl') {}

  get available(): boolean {
    return !this.#broken && SYSCALLS[process.arch] !== undefined;
  }

  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
    return this.#call(['mount', source, target, fstype, String(flags), data], `mount ${fstype} on ${target}`);
  }

  unmount(target: string, flags = 0): Promise<void> {
    return this.#call(['umount', target, String(flags)], `umount ${target}`);
  }

  /** Ends the helper; a later call starts a new one. */
  close(): void {
    this.#helper?.process.stdin.end();
    this.#helper = undefined;
  }

  #call(args: string[], what: string): Promise<void> {
    const helper = this.#start();
    const [op, ...rest] = args;
    return new Promise<void>((resolve, reject) => {
      helper.pending.push({ resolve, reject: (e) => reject(e instanceof MountCallError ? new MountCallError(`${what}: ${e.message}`, e.errno) : e) });
      // Waiting for an answer keeps the process alive; an idle helper does not.
      if (helper.pending.length === 1) helper.process.stdout.ref();
      helper.process.stdin.write(`${op} ${rest.map((a) => Buffer.from(a).toString('hex')).join(' ')}\n`);
    });
  }

  #start(): Helper {
    if (this.#helper !== undefined) return this.#helper;
    const numbers = SYSCALLS[process.arch];
    if (numbers === undefined) throw new Error(`no mount system call numbers for ${process.arch}`);
    // Its pipes are sockets (libuv pipes), which can be unreferenced.
    const child = spawn(this.perl, ['-e', HELPER, String(numbers.mount), String(numbers.umount2)], { stdio: ['pipe', 'pipe', 'ignore'] }) as ChildProcessByStdio<Writable, Socket, null>;
    const helper: Helper = { process: child, pending: [], buffer: '' };
    this.#helper = helper;
    // An idle helper does not keep the process alive; it exits at the end of its input.
    child.unref();
    (child.stdin as unknown as Socket).unref();
    child.stdout.unref();
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => answer(helper, text));
    const fail = (e: Error): void => {
      if (this.#helper === helper) this.#helper = undefined;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.#broken = true;
      for (const p of helper.pending.splice(0)) p.reject(e);
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`the mount helper exited (${signal ?? `code ${code}`})`)));
    return helper;
  }
}

/** Settles the oldest calls of `helper` with the answer lines in `text`. */
function answer(helper: Helper, text: string): void {
  helper.buffer += text;
  let nl: number;
  while ((nl = helper.buffer.indexOf('\n')) >= 0) {
    const line = helper.buffer.slice(0, nl);
    helper.buffer = helper.buffer.slice(nl + 1);
    const pending = helper.pending.shift();
    if (pending === undefined) continue;
    if (helper.pending.length === 0) helper.process.stdout.unref();
    if (line === '0') pending.resolve();
    else {
      const space = line.indexOf(' ');
      pending.reject(new MountCallError(line.slice(space + 1), Number(line.slice(0, space))));
    }
  }
}
