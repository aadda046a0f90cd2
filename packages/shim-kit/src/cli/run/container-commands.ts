import type { Command } from 'commander';
import type { ContainerView } from '../../engine/engine-container.js';
import { formatPortMapping } from '../../engine/port-mapping.js';
import { ShimError } from '../../errors.js';
import type { EngineCommandIo } from './engine-io.js';
import { collect, formatOption, wholeNumber } from './engine-options.js';
import { followContainer } from './foreground.js';
import { inspectJson } from './inspect-json.js';
import { ago, formatTable } from './table.js';

function statusText(c: ContainerView): string {
  if (c.status === 'running') return `Up ${ago(c.startedAt).replace(/ ago$/, '')}`;
  if (c.status === 'exited') return `Exited (${c.exitCode ?? -1}) ${ago(c.finishedAt)}`;
  return 'Created';
}

function psJson(c: ContainerView): Record<string, unknown> {
  return {
    Id: c.id, Names: [c.name], Image: c.imageName, ImageID: c.imageId.replace(/^sha256:/, ''), Command: c.command, Created: Math.floor(Date.parse(c.createdAt) / 1000), CreatedAt: c.createdAt,
    State: c.status, Status: statusText(c), Exited: c.status === 'exited', ExitCode: c.exitCode ?? 0, Pid: c.status === 'running' ? (c.pid ?? 0) : 0, StartedAt: c.startedAt === undefined ? 0 : Math.floor(Date.parse(c.startedAt) / 1000),
    Ports: c.ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })), AutoRemove: c.autoRemove, Networks: c.network === 'bridge' ? ['shimkit'] : [],
  };
}

/** `ps`, `logs`, `stop`, `kill`, `rm`, `wait`, `inspect`, `start`, `exec`, `attach`, `port`, `stats`. */
export function containerCommands(parent: Command, io: EngineCommandIo, want: (name: string) => boolean = () => true): void {
  if (want('ps'))
    parent
      .command('ps')
      .description('List containers (running ones; all with -a)')
      .option('-a, --all', 'show all containers')
      .option('-q, --quiet', 'print only the ids')
      .option('--no-trunc', 'do not truncate ids')
      .addOption(formatOption())
      .action(async (flags: { all?: boolean; quiet?: boolean; trunc: boolean; format: string }) => {
        const list = await io.engine().list({ all: flags.all ?? false });
        const id = (c: ContainerView): string => (flags.trunc ? c.id.slice(0, 12) : c.id);
        if (flags.format === 'json') return io.out(`${JSON.stringify(list.map(psJson), null, 2)}\n`);
        if (flags.quiet) return io.out(list.map((c) => `${id(c)}\n`).join(''));
        const rows = list.map((c) => [id(c), c.imageName, c.command.join(' ').slice(0, 20), ago(c.createdAt), statusText(c), c.ports.map(formatPortMapping).join(', '), c.name]);
        io.out(formatTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
      });

  if (want('logs'))
    parent
      .command('logs')
      .description("Print a container's output (what it wrote to stdout and stderr)")
      .argument('<container>', 'name or id')
      .option('-f, --follow', 'keep printing until the container exits')
      .option('--tail <n>', 'only the last n lines', wholeNumber('--tail', 'lines'))
      .action(async (ref: string, flags: { follow?: boolean; tail?: number }) => {
        await io.engine().logs(ref, (stream, text) => (stream === 'stdout' ? io.out(text) : io.err(text)), { follow: flags.follow ?? false, ...(flags.tail === undefined ? {} : { tail: flags.tail }) });
      });

  if (want('stop'))
    parent
      .command('stop')
      .description('Stop running containers: their stop signal, then SIGKILL after the timeout')
      .argument('<containers...>', 'names or ids')
      .option('-t, --time <seconds>', 'seconds to wait before killing', wholeNumber('--time', 'seconds'))
      .action(async (refs: string[], flags: { time?: number }) => {
        for (const ref of refs) {
          await io.engine().stop(ref, flags.time === undefined ? {} : { timeoutSeconds: flags.time });
          io.out(`${ref}\n`);
        }
      });

  if (want('kill'))
    parent
      .command('kill')
      .description('Send a signal to running containers')
      .argument('<containers...>', 'names or ids')
      .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
      .action(async (refs: string[], flags: { signal: string }) => {
        for (const ref of refs) {
          await io.engine().kill(ref, flags.signal);
          io.out(`${ref}\n`);
        }
      });

  if (want('rm'))
    parent
      .command('rm')
      .description('Remove containers')
      .argument('<containers...>', 'names or ids')
      .option('-f, --force', 'kill running containers first')
      .action(async (refs: string[], flags: { force?: boolean }) => {
        for (const ref of refs) {
          const c = await io.engine().remove(ref, { force: flags.force ?? false });
          io.out(`${c.id}\n`);
        }
      });

  if (want('wait'))
    parent
      .command('wait')
      .description('Wait for containers to exit and print their exit codes')
      .argument('<containers...>', 'names or ids')
      .action(async (refs: string[]) => {
        for (const ref of refs) io.out(`${await io.engine().wait(ref)}\n`);
      });

  if (want('inspect'))
    parent
      .command('inspect')
      .description('Show containers in detail (JSON)')
      .argument('<containers...>', 'names or ids')
      .addOption(formatOption(['json']))
      .action(async (refs: string[]) => {
        const views = [];
        for (const ref of refs) views.push(inspectJson(await io.engine().inspect(ref)));
        io.out(`${JSON.stringify(views, null, 2)}\n`);
      });

  if (want('start'))
    parent
      .command('start')
      .description('Start created or exited containers')
      .argument('<containers...>', 'names or ids')
      .option('-a, --attach', 'attach to the container and wait for it (one container)')
      .option('-i, --interactive', 'with --attach: connect stdin')
      .action(async (refs: string[], flags: { attach?: boolean; interactive?: boolean }) => {
        const engine = io.engine();
        if (flags.attach) {
          if (refs.length !== 1) throw new ShimError('InvalidArgument', 'start --attach takes one container');
          const c = await engine.inspect(refs[0] as string);
          const { container, session } = await engine.start(c.id, { attach: { stdin: (flags.interactive ?? false) && c.interactive, stdout: true, stderr: !c.tty } });
          io.setExitCode(await followContainer(engine, container, session, io));
          return;
        }
        for (const ref of refs) {
          await engine.start(ref, io.exitCommand ? { exitCommand: io.exitCommand } : {});
          io.out(`${ref}\n`);
        }
      });

  if (want('exec'))
    parent
      .command('exec')
      .description('Run a command in a running container')
      .argument('<container>', 'name or id')
      .argument('<command...>', 'command and arguments')
      .option('-i, --interactive', 'connect stdin')
      .option('-t, --tty', 'allocate a terminal')
      .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect)
      .option('-u, --user <uid[:gid]>', 'user to run as')
      .option('-w, --workdir <dir>', 'working directory')
      .passThroughOptions()
      .action(async (ref: string, cmd: string[], flags: { interactive?: boolean; tty?: boolean; env?: string[]; user?: string; workdir?: string }) => {
        const tty = flags.tty ?? false;
        const proc = await io.engine().exec(ref, { cmd, tty, stdin: flags.interactive ?? false, env: flags.env ?? [], ...(flags.user ? { user: flags.user } : {}), ...(flags.workdir ? { workdir: flags.workdir } : {}) });
        proc.stdout?.on('data', (c: Buffer) => io.outBytes(c));
        proc.stderr?.on('data', (c: Buffer) => io.errBytes(c));
        const terminal = tty ? io.terminal : undefined;
        if (terminal?.input.isTTY) {
          terminal.input.setRawMode(true);
          const resize = (): void => proc.resize?.({ width: terminal.output.columns, height: terminal.output.rows });
          resize();
          terminal.output.on('resize', resize);
        }
        if (flags.interactive && proc.stdin) {
          proc.stdin.on('error', () => undefined);
          io.stdin.pipe(proc.stdin);
        }
        const off = io.onSignal(() => proc.kill());
        try {
          io.setExitCode(await proc.exited);
        } finally {
          off();
          if (terminal?.input.isTTY) terminal.input.setRawMode(false);
          if (flags.interactive) {
            io.stdin.unpipe();
            io.stdin.pause();
            (io.stdin as { unref?: () => void }).unref?.();
          }
        }
      });

  if (want('attach'))
    parent
      .command('attach')
      .description("Attach to a running container's streams until it exits (SIGINT and SIGTERM are forwarded to it)")
      .argument('<container>', 'name or id')
      .option('--no-stdin', 'do not connect stdin')
      .action(async (ref: string, flags: { stdin: boolean }) => {
        const engine = io.engine();
        const c = await engine.inspect(ref);
        const { container, session } = await engine.attach(c.id, { stdin: flags.stdin && c.interactive, stdout: true, stderr: !c.tty });
        io.setExitCode(await followContainer(engine, { ...container, interactive: flags.stdin && c.interactive }, session, io));
      });

  if (want('port'))
    parent
      .command('port')
      .description("List a container's port mappings")
      .argument('<container>', 'name or id')
      .action(async (ref: string) => {
        const c = await io.engine().inspect(ref);
        io.out(c.ports.map((p) => `${p.containerPort}/${p.protocol} -> ${p.hostIp === '' ? '0.0.0.0' : p.hostIp}:${p.hostPort}\n`).join(''));
      });

  if (want('stats'))
    parent
      .command('stats')
      .description('Resource use of running containers (one reading)')
      .argument('[containers...]', 'names or ids (default: all running)')
      .addOption(formatOption())
      .option('--no-stream', 'one reading (the only mode)')
      .action(async (refs: string[], flags: { format: string }) => {
        const engine = io.engine();
        const ids = refs.length > 0 ? refs : (await engine.list()).map((c) => c.id);
        const stats = [];
        for (const ref of ids) stats.push(await engine.stats(ref));
        if (flags.format === 'json') return io.out(`${JSON.stringify(stats, null, 2)}\n`);
        const mb = (n: number): string => `${(n / 1e6).toFixed(1)}MB`;
        io.out(formatTable(['ID', 'NAME', 'CPU TIME', 'MEM USAGE / LIMIT', 'PIDS'], stats.map((s) => [s.id.slice(0, 12), s.name, `${(s.cpuNanos / 1e9).toFixed(3)}s`, `${mb(s.memoryBytes)} / ${s.memoryLimitBytes === undefined ? '-' : mb(s.memoryLimitBytes)}`, String(s.pids)])));
      });

  if (want('container-cleanup'))
    parent
      .command('container-cleanup', { hidden: true })
      .description('Run by conmon after a detached container exits: releases it, removes it with --rm')
      .argument('<id>')
      .action(async (id: string) => {
        const engine = io.engine();
        const c = await engine.inspect(id).catch(() => undefined);
        if (c === undefined || c.status === 'running') return;
        if (c.autoRemove) await engine.remove(id, { force: true });
        else await engine.cleanup(id);
      });
}
