import { spawn } from 'node:child_process';
import { dirname, basename } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/**
 * conmon's attach socket is a SOCK_SEQPACKET socket, which Node's net module cannot open. This
 * small relay (Perl: its core Socket module is on every Debian system, being part of the essential
 * perl-base) connects to it and turns each packet conmon sends, `<stream byte><data>`, into a frame
 * `<stream byte><uint32 BE length><data>` on its stdout; what arrives on its stdin is sent as
 * packets of at most 8 KiB. At the end of its stdin it shuts down its sending side, which tells
 * conmon the client closed its input. It exits when conmon closes the connection.
 */
const RELAY = String.raw`
use strict;
use Socket;
my $path = shift @ARGV;
socket(my $sock, AF_UNIX, SOCK_SEQPACKET, 0) or die "socket: $!\n";
connect($sock, pack_sockaddr_un($path)) or die "connect to $path: $!\n";
print STDERR "connected\n";
my $input_open = 1;
sub put { my ($fh, $data) = @_; while (length $data) { my $n = syswrite($fh, $data); die "write: $!\n" unless defined $n; substr($data, 0, $n) = ''; } }
while (1) {
  my $want = '';
  vec($want, fileno($sock), 1) = 1;
  vec($want, fileno(STDIN), 1) = 1 if $input_open;
  my $ready = select(my $got = $want, undef, undef, undef);
  next if $ready < 0 && $!{EINTR};
  die "select: $!\n" if $ready < 0;
  if (vec($got, fileno($sock), 1)) {
    my $n = sysread($sock, my $packet, 65536);
    die "read: $!\n" unless defined $n;
    last if $n == 0;
    put(\*STDOUT, pack('CN', ord($packet), $n - 1) . substr($packet, 1));
  }
  if ($input_open && vec($got, fileno(STDIN), 1)) {
    my $n = sysread(STDIN, my $data, 8192);
    if (!$n) { $input_open = 0; shutdown($sock, 1); next; }
    put($sock, $data);
  }
}
`;

/** conmon's stream bytes at the start of each attach packet. */
export const ATTACH_STDOUT = 2;
export const ATTACH_STDERR = 3;

/** A connection to a SEQPACKET socket through the relay child. */
export interface SeqpacketConnection {
  /** Data for the peer; ending it shuts down the sending side. */
  readonly input: Writable;
  /** The payloads of the peer's packets, by their first byte. */
  readonly output: ReadonlyMap<number, Readable>;
  /** Resolves once connected; rejects with the relay's message when it cannot connect. */
  readonly connected: Promise<void>;
  /** Resolves when the connection is over (the outputs are ended by then). */
  readonly ended: Promise<void>;
  /** Ends the connection now. */
  close(): void;
}

/**
 * Connects to the SEQPACKET socket at `path` (any length: the relay runs in its directory) and
 * demultiplexes the packets by their first byte into one stream per value in `streams`; packets
 * for other values are dropped.
 */
export function connectSeqpacket(path: string, streams: readonly number[]): SeqpacketConnection {
  const child = spawn('perl', ['-e', RELAY, basename(path)], { cwd: dirname(path), stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new Map(streams.map((s) => [s, new PassThrough()]));
  let pending: Buffer = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) break;
      output.get(pending[0] as number)?.write(pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const connected = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (stderr.startsWith('connected\n')) resolve();
    });
    child.once('error', reject);
    child.once('close', () => reject(new Error(stderr.trim() || 'the attach relay exited')));
  });
  connected.catch(() => undefined);
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve())).then(() => {
    for (const s of output.values()) s.end();
  });
  child.stdin.on('error', () => undefined);
  return { input: child.stdin, output, connected, ended, close: () => void child.kill('SIGKILL') };
}
