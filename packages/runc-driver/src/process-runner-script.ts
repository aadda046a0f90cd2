/**
 * The process runner's Perl program: core Perl only (loading POSIX alone takes ten milliseconds),
 * with the dup3 system call number as its argument. It reads one request a line on stdin and
 * answers one line per finished job on stdout; any number of jobs run at once.
 *
 * `run ID ARGV ENV CWD STDIN OUT ERR FDS`: ARGV and ENV are NUL-joined lists (ENV holds
 * `KEY=value` entries added to the runner's environment), CWD a directory, STDIN bytes piped to
 * the child then closed; each of those hex-encoded, or `-` for none (/dev/null for STDIN).
 * OUT and ERR: `n` (/dev/null), `p` (captured, at most 16 MiB kept) or `f<hex path>` (appended to
 * that file). FDS: `-`, or a comma list for fd 3, 4, ...: `l` captures the first line written
 * to it, `d<hex>` is a pipe holding those bytes, `h` a pipe that stays empty and open until fed
 * (a program with such an fd dies with the runner, and is killed when the runner's stdin ends).
 *
 * `feed ID FD DATA`: writes DATA (hex, or `-`) to the job's held fd FD, then closes it.
 *
 * `kill ID SIGNUM`: signals the job's process and stops waiting for its output (a killed runtime
 * may have handed its stdio to a container that lives on).
 *
 * Answers: `ID exit CODE SIGNUM OUT ERR LINES` once the process is reaped, its captured streams
 * are at EOF and each line fd gave its line (or EOF); CODE is -1 when a signal ended it, OUT,
 * ERR and each comma-separated LINES entry hex (`-` when empty). `ID spawn ERRNO MESSAGE` when
 * the program could not be started (MESSAGE hex).
 */
export const PROCESS_RUNNER_SCRIPT = String.raw`
use strict;
$| = 1;
my ($SYS_dup3, $SYS_prctl) = @ARGV;
my $MAX = 16 * 1024 * 1024;
my ($F_DUPFD_CLOEXEC, $WNOHANG) = (1030, 1);
my (%jobs, %by_pid, %readers, %writers);
$SIG{CHLD} = sub {};
$SIG{PIPE} = 'IGNORE';
sub unhex { $_[0] eq '-' ? '' : pack('H*', $_[0]) }
sub hexs { length $_[0] ? unpack('H*', $_[0]) : '-' }

sub finish {
  my ($j) = @_;
  return if !defined $j->{status} || $j->{open} > 0 || $j->{done}++;
  close $_ for values %{$j->{held}};
  my $st = $j->{status};
  my ($code, $sig) = ($st & 127) == 0 ? ($st >> 8, 0) : (-1, $st & 127);
  my $lines = @{$j->{lines}} ? join(',', map { hexs($_ // '') } @{$j->{lines}}) : '-';
  print join(' ', $j->{id}, 'exit', $code, $sig, hexs($j->{out}), hexs($j->{err}), $lines), "\n";
  delete $jobs{$j->{id}};
}

sub drop_reader {
  my ($fd) = @_;
  my $r = delete $readers{$fd} or return;
  close $r->{fh};
  $r->{job}{open}--;
  finish($r->{job});
}

sub spawn_failed {
  my ($id, $errno, $text, @fhs) = @_;
  close $_ for @fhs;
  print "$id spawn $errno ", hexs($text), "\n";
}

sub start {
  my ($id, $argv, $env, $cwd, $stdin, $out, $err, $fds) = @_;
  my @argv = split /\0/, unhex($argv), -1;
  my $j = { id => $id, out => '', err => '', lines => [], open => 0, held => {} };
  my (@child, @reads, @writes);
  my $data_pipe = sub {
    my ($target, $data, $held) = @_;
    pipe(my $r, my $w) or return 0;
    push @child, [$target, $r];
    push @writes, [$w, $data, $held ? $target : undef];
    1;
  };
  my $capture_pipe = sub {
    my ($target, $kind) = @_;
    pipe(my $r, my $w) or return 0;
    push @child, [$target, $w];
    push @reads, [$r, $kind];
    1;
  };
  my $ok = $stdin eq '-' ? do { push @child, [0, '<', '/dev/null']; 1 } : $data_pipe->(0, unhex($stdin));
  for my $s ([$out, 1, 'out'], [$err, 2, 'err']) {
    my ($spec, $target, $kind) = @$s;
    if ($spec eq 'p') { $ok &&= $capture_pipe->($target, $kind) }
    elsif ($spec =~ /^f(.+)$/) { push @child, [$target, '>>', unhex($1)] }
    else { push @child, [$target, '>', '/dev/null'] }
  }
  my $n = 3;
  for my $f ($fds eq '-' ? () : split /,/, $fds) {
    if ($f eq 'l') { push @{$j->{lines}}, undef; $ok &&= $capture_pipe->($n, $#{$j->{lines}}) }
    elsif ($f eq 'h') { $ok &&= $data_pipe->($n, '', 1) }
    else { $ok &&= $data_pipe->($n, unhex(substr($f, 1))) }
    $n++;
  }
  my ($er, $ew);
  $ok &&= pipe($er, $ew);
  my @ends = (map({ $_->[0] } @reads, @writes), grep { ref } map { $_->[1] } @child);
  return spawn_failed($id, 0 + $!, "pipe: $!", @ends) unless $ok;
  my $pid = fork();
  return spawn_failed($id, 0 + $!, "fork: $!", @ends, $er, $ew) unless defined $pid;
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    $SIG{PIPE} = 'DEFAULT';
    # stdout is unbuffered ($|), so exit flushes nothing twice
    my $fail = sub { syswrite $ew, (0 + $!) . " $_[0]: $!"; exit 127 };
    # Every source goes above the targets first (close-on-exec), so no dup2 clobbers another's source.
    my @moves;
    for my $c (@child) {
      my ($target, $fh, $path) = @$c;
      if (!ref $fh) { open(my $h, $fh, $path) or $fail->("open $path"); $fh = $h }
      my $high = fcntl($fh, $F_DUPFD_CLOEXEC, 64) or $fail->('dup');
      push @moves, [$target, 0 + $high];
    }
    for my $m (@moves) { syscall($SYS_dup3, $m->[1], $m->[0], 0) == $m->[0] or $fail->('dup3') }
    if ($cwd ne '-') { chdir unhex($cwd) or $fail->('chdir ' . unhex($cwd)) }
    # A program waiting for a held fd dies with the runner (PR_SET_PDEATHSIG, SIGKILL) rather than
    # read an end of file it would take for its go-ahead.
    if (grep { defined $_->[2] } @writes) { syscall($SYS_prctl, 1, 9, 0, 0, 0) == 0 or $fail->('prctl') }
    for my $kv (split /\0/, unhex($env)) { my ($k, $v) = split /=/, $kv, 2; $ENV{$k} = $v }
    exec { $argv[0] } @argv;
    $fail->("exec $argv[0]");
  }
  close $ew;
  close $_ for grep { ref } map { $_->[1] } @child;
  my $msg = '';
  while (sysread($er, my $buf, 4096)) { $msg .= $buf }
  close $er;
  if (length $msg) {
    waitpid($pid, 0);
    my ($errno, $text) = split / /, $msg, 2;
    return spawn_failed($id, $errno, $text, map({ $_->[0] } @reads, @writes));
  }
  $j->{pid} = $pid;
  $jobs{$id} = $j;
  $by_pid{$pid} = $j;
  for my $r (@reads) { $readers{fileno $r->[0]} = { job => $j, fh => $r->[0], kind => $r->[1] }; $j->{open}++ }
  for my $w (@writes) {
    if (defined $w->[2]) { $j->{held}{$w->[2]} = $w->[0] }
    elsif (length $w->[1]) { $writers{fileno $w->[0]} = { fh => $w->[0], data => $w->[1] } }
    else { close $w->[0] }
  }
}

sub feed {
  my ($id, $fd, $data) = @_;
  my $j = $jobs{$id} or return;
  my $fh = delete $j->{held}{$fd} or return;
  if (length $data) { $writers{fileno $fh} = { fh => $fh, data => $data } } else { close $fh }
}

sub kill_job {
  my ($id, $sig) = @_;
  my $j = $jobs{$id} or return;
  kill($sig, $j->{pid}) unless defined $j->{status};
  for my $fd (grep { $readers{$_}{job} == $j } keys %readers) { drop_reader($fd) }
}

my $input = '';
my $reading = 1;
while ($reading || %jobs) {
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1 if $reading;
  vec($rin, $_, 1) = 1 for keys %readers;
  vec($win, $_, 1) = 1 for keys %writers;
  # SIGCHLD interrupts select; the timeout covers one that lands just before it.
  my $ready = select(my $rout = $rin, my $wout = $win, undef, %by_pid ? 0.01 : undef);
  if ($ready > 0) {
    for my $fd (grep { vec($wout, $_, 1) } keys %writers) {
      my $w = $writers{$fd};
      my $k = syswrite($w->{fh}, $w->{data});
      substr($w->{data}, 0, $k) = '' if defined $k;
      if (!defined $k || !length $w->{data}) { close $w->{fh}; delete $writers{$fd} }
    }
    for my $fd (grep { vec($rout, $_, 1) && $readers{$_} } keys %readers) {
      my $r = $readers{$fd};
      my $k = sysread($r->{fh}, my $buf, 65536);
      if (!$k) { drop_reader($fd); next }
      my $j = $r->{job};
      if ($r->{kind} eq 'out' || $r->{kind} eq 'err') {
        $j->{$r->{kind}} .= substr($buf, 0, $MAX - length $j->{$r->{kind}}) if length $j->{$r->{kind}} < $MAX;
      } else {
        my $line = ($j->{lines}[$r->{kind}] // '') . $buf;
        if ($line =~ /\A([^\n]*)\n/) { $j->{lines}[$r->{kind}] = $1; drop_reader($fd) }
        else { $j->{lines}[$r->{kind}] = substr($line, 0, $MAX) }
      }
    }
    if ($reading && vec($rout, 0, 1)) {
      my $k = sysread(STDIN, my $buf, 65536);
      if (!$k) {
        # the caller is gone: nobody will feed what waits
        $reading = 0;
        kill_job($_->{id}, 9) for grep { %{$_->{held}} } values %jobs;
      } else { $input .= $buf }
      while ($input =~ s/\A([^\n]*)\n//) {
        my ($op, $id, @args) = split / /, $1, -1;
        if ($op eq 'run') { start($id, @args) }
        elsif ($op eq 'kill') { kill_job($id, $args[0]) }
        elsif ($op eq 'feed') { feed($id, $args[0], unhex($args[1])) }
      }
    }
  }
  while ((my $pid = waitpid(-1, $WNOHANG)) > 0) {
    my $j = delete $by_pid{$pid} or next;
    $j->{status} = $?;
    finish($j);
  }
}
`;
